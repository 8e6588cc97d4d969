import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { listRefusedTexts, POLICY_REFUSAL_PAGE_MAX } from '$lib/server/services/policy-refusals';

const DEFAULT_PAGE = 20;

/**
 * GET /api/admin/policy/rules/:id/refusals?limit=&before= — the rule's kept refused texts, newest
 * first (`nextBeforeId` is the next page's `before`); admin only, others get 404.
 */
export const GET: RequestHandler = async ({ locals, params, url }) => {
	const id = parseId(params.id);
	if (locals.user!.role !== 'admin' || id === null)
		return errorResponse(404, 'not_found', 'Not found');
	const limit = url.searchParams.get('limit');
	const before = url.searchParams.get('before');
	if (
		(limit !== null &&
			(!/^\d{1,3}$/.test(limit) || +limit < 1 || +limit > POLICY_REFUSAL_PAGE_MAX)) ||
		(before !== null && parseId(before) === null)
	)
		return errorResponse(
			400,
			'invalid_request',
			`limit must be 1 to ${POLICY_REFUSAL_PAGE_MAX} and before a message id`
		);
	const result = await listRefusedTexts(getRuntime().db, id, {
		limit: limit === null ? DEFAULT_PAGE : Number(limit),
		beforeId: before === null ? null : Number(before)
	});
	return result.ok
		? json({ refusals: result.refusals, nextBeforeId: result.nextBeforeId })
		: failureResponse(result);
};
