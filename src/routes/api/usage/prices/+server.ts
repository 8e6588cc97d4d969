import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { listModelPrices, setModelPrice } from '$lib/server/services/pricing';
import { PriceBody } from '$lib/server/usage-query';

/** GET /api/usage/prices — the admin's price overrides, newest first per model. */
export const GET: RequestHandler = async () => json(await listModelPrices(getRuntime().db));

/** POST /api/usage/prices — the admin prices a model from now (or a later date) on. */
export const POST: RequestHandler = async ({ locals, request }) => {
	if (locals.user!.role !== 'admin')
		return errorResponse(403, 'forbidden', 'Only the admin sets prices');
	const body = await readJson(request, PriceBody);
	if (!body.ok) return body.response;
	return json(await setModelPrice(getRuntime().db, locals.user!.id, body.value, Date.now()), 201);
};
