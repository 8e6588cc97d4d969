import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { revokeApiKey } from '$lib/server/services/api-keys';

export const DELETE: RequestHandler = async ({ locals, params }) => {
	const id = parseId(params.id);
	if (id === null) return errorResponse(404, 'not_found', 'No such API key');
	const result = await revokeApiKey(getRuntime().db, locals.user!, id);
	return result.ok ? json({ ok: true }) : failureResponse(result);
};
