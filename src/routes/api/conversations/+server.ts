import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import {
	createConversation,
	listUserConversations,
	MAX_TITLE_CHARS
} from '$lib/server/services/conversations';
import { ConversationSettings, ModelRef } from '$lib/server/schemas';
import { MAX_SYSTEM_PROMPT_CHARS } from '$lib/shared/slash-commands';

const CreateBody = z.object({
	title: z.string().max(MAX_TITLE_CHARS).optional(),
	model: ModelRef.optional(),
	systemPrompt: z.string().max(MAX_SYSTEM_PROMPT_CHARS).optional(),
	settings: ConversationSettings.optional()
});

export const GET: RequestHandler = async ({ locals, url }) => {
	const limit = url.searchParams.get('limit');
	const before = url.searchParams.get('before');
	if ((limit && !/^\d{1,3}$/.test(limit)) || (before && !/^\d{1,15}$/.test(before))) {
		return errorResponse(400, 'invalid_request', 'limit and before must be whole numbers');
	}
	const page = await listUserConversations(getRuntime().db, locals.user!.id, {
		limit: limit ? Number(limit) : undefined,
		before: before ? Number(before) : null
	});
	return json(page);
};

export const POST: RequestHandler = async ({ locals, request }) => {
	const body = await readJson(request, CreateBody);
	if (!body.ok) return body.response;
	return json(await createConversation(getRuntime().db, locals.user!.id, body.value), 201);
};
