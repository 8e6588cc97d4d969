import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { PolicyRulePatch } from '$lib/server/schemas';
import { deletePolicyRule, updatePolicyRule } from '$lib/server/services/content-policy';

export const PATCH: RequestHandler = async ({ locals, params, request }) => {
	const id = parseId(params.id);
	if (locals.user!.role !== 'admin' || id === null)
		return errorResponse(404, 'not_found', 'Not found');
	const body = await readJson(request, PolicyRulePatch);
	if (!body.ok) return body.response;
	const result = await updatePolicyRule(getRuntime().db, id, body.value);
	return result.ok ? json({ rule: result.rule }) : failureResponse(result);
};

export const DELETE: RequestHandler = async ({ locals, params }) => {
	const id = parseId(params.id);
	if (locals.user!.role !== 'admin' || id === null)
		return errorResponse(404, 'not_found', 'Not found');
	const result = await deletePolicyRule(getRuntime().db, id);
	return result.ok ? json({ ok: true }) : failureResponse(result);
};
