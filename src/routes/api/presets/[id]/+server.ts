import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { deletePreset, updatePreset } from '$lib/server/services/prompts';
import { PresetBody } from '$lib/server/schemas';

const notFound = () => errorResponse(404, 'not_found', 'No such preset');
const PatchBody = PresetBody.omit({ shared: true }).partial().strict();

export const PATCH: RequestHandler = async ({ params, locals, request }) => {
	const id = parseId(params.id);
	if (!id) return notFound();
	const body = await readJson(request, PatchBody);
	if (!body.ok) return body.response;
	const result = await updatePreset(getRuntime().db, locals.user!, id, body.value);
	return result.ok ? json({ preset: result.value }) : failureResponse(result);
};

export const DELETE: RequestHandler = async ({ params, locals }) => {
	const id = parseId(params.id);
	if (!id) return notFound();
	const result = await deletePreset(getRuntime().db, locals.user!, id);
	return result.ok ? new Response(null, { status: 204 }) : failureResponse(result);
};
