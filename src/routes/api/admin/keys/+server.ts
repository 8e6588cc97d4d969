import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { listAllApiKeys } from '$lib/server/services/api-keys';

/** Everyone's live keys, for the admin; others get the 404 every admin route gives them. */
export const GET: RequestHandler = async ({ locals }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	return json({ keys: await listAllApiKeys(getRuntime().db) });
};
