import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { RowId } from '$lib/server/schemas';
import { createImage, MAX_IMAGE_PROMPT_CHARS } from '$lib/server/services/images';

const ImageBody = z
	.object({
		prompt: z.string().trim().min(1, 'describe the image').max(MAX_IMAGE_PROMPT_CHARS),
		/** Absent: the picture starts a new conversation. */
		conversationId: RowId.optional()
	})
	.strict();

/** POST /api/images — /image: generate a picture → 201 { conversationId, message, reply }. */
export const POST: RequestHandler = async ({ locals, request }) => {
	const body = await readJson(request, ImageBody);
	if (!body.ok) return body.response;
	const { db, providers, config } = getRuntime();
	const result = await createImage(
		{ db, providers, dataDir: config.dataDir },
		locals.user!.id,
		body.value.conversationId ?? null,
		body.value.prompt
	);
	if (result.ok) return json(result, 201);
	if (result.code === 'not_found') return errorResponse(404, 'not_found', result.message);
	return result.code === 'unavailable'
		? errorResponse(400, 'image_unavailable', result.message)
		: errorResponse(502, 'upstream', result.message);
};
