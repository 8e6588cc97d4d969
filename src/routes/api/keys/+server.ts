import { z } from 'zod';
import type { RequestHandler } from './$types';
import { failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { createApiKey, listApiKeys, MAX_API_KEY_NAME_CHARS } from '$lib/server/services/api-keys';

const CreateKey = z.strictObject({
	name: z.string().max(MAX_API_KEY_NAME_CHARS * 4),
	expiresAt: z.number().int().positive().nullable().optional(),
	rateLimitPerMinute: z.number().int().positive().nullable().optional(),
	saveHistory: z.boolean().optional()
});

export const GET: RequestHandler = async ({ locals }) =>
	json({ keys: await listApiKeys(getRuntime().db, locals.user!.id) });

/** The secret is in this answer and nowhere else, ever. */
export const POST: RequestHandler = async ({ locals, request }) => {
	const body = await readJson(request, CreateKey);
	if (!body.ok) return body.response;
	const result = await createApiKey(getRuntime().db, locals.user!, body.value);
	if (!result.ok) return failureResponse(result);
	return json({ key: result.key, secret: result.secret }, 201);
};
