import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { MAX_ID } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { SYNC_LIMITS, syncConversations } from '$lib/server/services/sync';

/** GET /api/sync?since=<cursor>&limit=<n>&have=<id,id,…> — see services/sync.ts. */
export const GET: RequestHandler = async ({ locals, url }) => {
	const since = url.searchParams.get('since') ?? '0';
	const limit = url.searchParams.get('limit') ?? '100';
	const have = url.searchParams.get('have') ?? '';
	if (!/^\d{1,15}$/.test(since) || !/^\d{1,3}$/.test(limit)) {
		return errorResponse(400, 'invalid_request', 'since and limit must be whole numbers');
	}
	if (have && !/^\d{1,15}(,\d{1,15})*$/.test(have)) {
		return errorResponse(400, 'invalid_request', 'have must be a comma-separated list of ids');
	}
	const ids = have ? have.split(',').map(Number) : [];
	if (ids.some((id) => id > MAX_ID)) {
		return errorResponse(400, 'invalid_request', 'have must be a comma-separated list of ids');
	}
	if (ids.length > SYNC_LIMITS.maxHave) {
		return errorResponse(400, 'invalid_request', `have lists more than ${SYNC_LIMITS.maxHave} ids`);
	}
	const result = await syncConversations(getRuntime().db, locals.user!.id, {
		since: Number(since),
		limit: Number(limit),
		have: ids
	});
	return json(result);
};
