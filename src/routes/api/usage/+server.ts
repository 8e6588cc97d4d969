import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { usageReport } from '$lib/server/services/usage';

/** GET /api/usage[?conversationId=<id>] — token and cost totals (costs as recorded). */
export const GET: RequestHandler = async ({ locals, url }) => {
	const raw = url.searchParams.get('conversationId');
	const conversationId = raw === null ? undefined : parseId(raw);
	if (conversationId === null)
		return errorResponse(400, 'invalid_request', 'conversationId must be a conversation id');
	const { db, providers } = getRuntime();
	return json(await usageReport(db, providers, locals.user!.id, { conversationId }));
};
