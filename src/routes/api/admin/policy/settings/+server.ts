import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { PolicySettingsBody } from '$lib/server/schemas';
import { keepsRefusedText, setKeepRefusedText } from '$lib/server/services/policy-refusals';

/** PUT /api/admin/policy/settings `{ keepRefusedText }` — off deletes the texts kept so far. */
export const PUT: RequestHandler = async ({ locals, request }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const body = await readJson(request, PolicySettingsBody);
	if (!body.ok) return body.response;
	const db = getRuntime().db;
	await setKeepRefusedText(db, body.value.keepRefusedText);
	return json({ keepRefusedText: await keepsRefusedText(db) });
};
