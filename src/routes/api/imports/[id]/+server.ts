import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { getImport } from '$lib/server/services/imports';

export const GET: RequestHandler = async ({ params, locals }) => {
	const id = parseId(params.id);
	const found = id && (await getImport(getRuntime().db, locals.user!.id, id));
	return found ? json({ import: found }) : errorResponse(404, 'not_found', 'No such import');
};
