import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { getDownload } from '$lib/server/services/local-models';

export const GET: RequestHandler = async ({ locals, params }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const id = parseId(params.id);
	const download = id && (await getDownload(getRuntime().db, id));
	return download ? json({ download }) : errorResponse(404, 'not_found', 'No such download');
};
