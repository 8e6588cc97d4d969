import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { cancelImport } from '$lib/server/services/imports';

export const POST: RequestHandler = async ({ params, locals }) => {
	const { db, imports } = getRuntime();
	const id = parseId(params.id);
	const found = id && (await cancelImport(db, imports, locals.user!.id, id));
	return found ? json({ import: found }) : errorResponse(404, 'not_found', 'No such import');
};
