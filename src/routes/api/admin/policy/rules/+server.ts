import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { PolicyRuleBody } from '$lib/server/schemas';
import {
	createPolicyRule,
	listPolicyRules,
	policyCounts
} from '$lib/server/services/content-policy';
import { keepsRefusedText } from '$lib/server/services/policy-refusals';

/** The rules, their refusal counts per day and the settings, for the admin; others get 404. */
export const GET: RequestHandler = async ({ locals }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const db = getRuntime().db;
	return json({
		rules: await listPolicyRules(db),
		counts: await policyCounts(db),
		keepRefusedText: await keepsRefusedText(db)
	});
};

export const POST: RequestHandler = async ({ locals, request }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const body = await readJson(request, PolicyRuleBody);
	if (!body.ok) return body.response;
	const result = await createPolicyRule(getRuntime().db, body.value);
	return result.ok ? json({ rule: result.rule }, 201) : failureResponse(result);
};
