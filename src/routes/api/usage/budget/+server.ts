import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { budgetStatus } from '$lib/server/services/budget';

/** GET /api/usage/budget — this month's budget, spending and what is left (the chat's banner). */
export const GET: RequestHandler = async ({ locals }) =>
	json(await budgetStatus(getRuntime().db, locals.user!.id, Date.now()));
