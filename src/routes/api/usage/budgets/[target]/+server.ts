import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { BudgetBody } from '$lib/server/usage-query';
import { budgetStatus, setDefaultBudget, setUserBudget } from '$lib/server/services/budget';

/** PUT /api/usage/budgets/<userId>|default — the admin sets a monthly budget. */
export const PUT: RequestHandler = async ({ locals, params, request }) => {
	if (locals.user!.role !== 'admin')
		return errorResponse(403, 'forbidden', 'Only the admin sets budgets');
	const target = params.target === 'default' ? 'default' : parseId(params.target);
	if (target === null) return errorResponse(404, 'not_found', 'No such user');
	const body = await readJson(request, BudgetBody);
	if (!body.ok) return body.response;
	const micro =
		body.value.monthlyUsd === null ? null : Math.round(body.value.monthlyUsd * 1_000_000);
	const { db } = getRuntime();
	const now = Date.now();
	if (target === 'default') {
		await setDefaultBudget(db, micro, now);
		return json({ defaultBudgetMicroUsd: micro });
	}
	if (!(await setUserBudget(db, target, micro, now)))
		return errorResponse(404, 'not_found', 'No such user');
	return json(await budgetStatus(db, target, now));
};
