import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { listLocalModels, localModelDeps } from '$lib/server/services/local-models';

/** The models in the folder and on the router, the downloads, the presets; admins only (else 404). */
export const GET: RequestHandler = async ({ locals }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	return json(await listLocalModels(localModelDeps(getRuntime())));
};
