import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { localModelDeps, setLocalModelState } from '$lib/server/services/local-models';

/** POST …/:name/load or …/:name/unload, through llama.cpp's router. */
export const POST: RequestHandler = async ({ locals, params }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const action = params.action;
	if (action !== 'load' && action !== 'unload') return errorResponse(404, 'not_found', 'Not found');
	const result = await setLocalModelState(localModelDeps(getRuntime()), params.name, action);
	return result.ok ? json({ model: params.name, action }) : failureResponse(result);
};
