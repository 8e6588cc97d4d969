import { z } from 'zod';
import type { RequestHandler } from './$types';
import { json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { getUserSettings, updateUserSettings } from '$lib/server/services/user-settings';
import { MAX_LOCAL_COST_PER_MILLION_USD } from '$lib/server/services/usage';

const PatchBody = z
	.object({
		localCostPerMillionUsd: z.number().min(0).max(MAX_LOCAL_COST_PER_MILLION_USD),
		pushPreview: z.boolean()
	})
	.partial()
	.strict();

export const GET: RequestHandler = async ({ locals }) =>
	json(await getUserSettings(getRuntime().db, locals.user!.id));

export const PATCH: RequestHandler = async ({ locals, request }) => {
	const body = await readJson(request, PatchBody);
	if (!body.ok) return body.response;
	return json(await updateUserSettings(getRuntime().db, locals.user!.id, body.value));
};
