import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { SEARCH_PAGE_SIZE, searchUserMessages } from '$lib/server/services/search';
import { MAX_SEARCH_CHARS } from '$lib/shared/search';

/** GET /api/search?q=<words>[&limit=<1–50>] — the user's messages, best match first. */
export const GET: RequestHandler = async ({ locals, url }) => {
	const q = url.searchParams.get('q') ?? '';
	const limit = url.searchParams.get('limit') ?? String(SEARCH_PAGE_SIZE);
	if (q.length > MAX_SEARCH_CHARS)
		return errorResponse(400, 'invalid_request', `q is longer than ${MAX_SEARCH_CHARS} characters`);
	if (!/^\d{1,2}$/.test(limit) || Number(limit) < 1 || Number(limit) > 50)
		return errorResponse(400, 'invalid_request', 'limit must be a whole number from 1 to 50');
	const hits = await searchUserMessages(getRuntime().db, locals.user!.id, q, Number(limit));
	return json({ hits });
};
