import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { cancelDownload, localModelDeps } from '$lib/server/services/local-models';

export const POST: RequestHandler = async ({ locals, params }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const id = parseId(params.id);
	if (!id) return errorResponse(404, 'not_found', 'No such download');
	const result = await cancelDownload(localModelDeps(getRuntime()), id);
	return result.ok ? json({ download: result.download }) : failureResponse(result);
};
