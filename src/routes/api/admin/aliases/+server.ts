import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { AliasBody } from '$lib/server/schemas';
import { createModelAlias, listModelAliases } from '$lib/server/services/model-aliases';

/** Every alias, for the admin; others get the 404 every admin route gives them. */
export const GET: RequestHandler = async ({ locals }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	return json({ aliases: await listModelAliases(getRuntime().db) });
};

export const POST: RequestHandler = async ({ locals, request }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const body = await readJson(request, AliasBody);
	if (!body.ok) return body.response;
	const result = await createModelAlias(getRuntime().db, body.value);
	return result.ok ? json({ alias: result.alias }, 201) : failureResponse(result);
};
