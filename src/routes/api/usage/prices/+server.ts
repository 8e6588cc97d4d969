import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import {
	MAX_PRICE_PER_MILLION_USD,
	listModelPrices,
	setModelPrice
} from '$lib/server/services/pricing';

const usd = z.number().min(0).max(MAX_PRICE_PER_MILLION_USD);
const Body = z
	.object({
		model: z.string().trim().min(1).max(200),
		inputPerMillion: usd,
		outputPerMillion: usd,
		cachedInputPerMillion: usd.optional(),
		cacheWritePerMillion: usd.optional(),
		/** ms since the epoch; a moment in the past counts from now (recorded costs never move). */
		effectiveFrom: z.number().int().min(0).max(8.64e15).optional()
	})
	.strict();

/** GET /api/usage/prices — the admin's price overrides, newest first per model. */
export const GET: RequestHandler = async () => json(await listModelPrices(getRuntime().db));

/** POST /api/usage/prices — the admin prices a model from now (or a later date) on. */
export const POST: RequestHandler = async ({ locals, request }) => {
	if (locals.user!.role !== 'admin')
		return errorResponse(403, 'forbidden', 'Only the admin sets prices');
	const body = await readJson(request, Body);
	if (!body.ok) return body.response;
	return json(await setModelPrice(getRuntime().db, locals.user!.id, body.value, Date.now()), 201);
};
