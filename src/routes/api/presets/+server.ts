import type { RequestHandler } from './$types';
import { failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { PresetBody } from '$lib/server/schemas';
import { createPreset, listPresets } from '$lib/server/services/prompts';

export const GET: RequestHandler = async ({ locals }) => {
	const { db, providers } = getRuntime();
	const kinds = (await providers.list()).map((p) => ({ id: p.id, kind: p.kind }));
	return json(await listPresets(db, locals.user!, kinds));
};

export const POST: RequestHandler = async ({ locals, request }) => {
	const body = await readJson(request, PresetBody);
	if (!body.ok) return body.response;
	const result = await createPreset(getRuntime().db, locals.user!, body.value);
	return result.ok ? json({ preset: result.value }, 201) : failureResponse(result);
};
