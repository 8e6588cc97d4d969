import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { deleteLocalModel, localModelDeps } from '$lib/server/services/local-models';

/** Deletes the model's file from the folder (unloading it first); the router re-reads the folder. */
export const DELETE: RequestHandler = async ({ locals, params }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const result = await deleteLocalModel(localModelDeps(getRuntime()), params.name);
	return result.ok ? json({ deleted: params.name }) : failureResponse(result);
};
