import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { deleteModelAlias, updateModelAlias } from '$lib/server/services/model-aliases';
import { AliasBody } from '$lib/server/schemas';

function aliasId(raw: string): number | null {
	const id = Number(raw);
	return Number.isSafeInteger(id) ? id : null;
}

export const PUT: RequestHandler = async ({ locals, params, request }) => {
	const id = aliasId(params.id);
	if (locals.user!.role !== 'admin' || id === null)
		return errorResponse(404, 'not_found', 'Not found');
	const body = await readJson(request, AliasBody);
	if (!body.ok) return body.response;
	const result = await updateModelAlias(getRuntime().db, id, body.value);
	return result.ok ? json({ alias: result.alias }) : failureResponse(result);
};

export const DELETE: RequestHandler = async ({ locals, params }) => {
	const id = aliasId(params.id);
	if (locals.user!.role !== 'admin' || id === null)
		return errorResponse(404, 'not_found', 'Not found');
	const result = await deleteModelAlias(getRuntime().db, id);
	return result.ok ? json({ ok: true }) : failureResponse(result);
};
