import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { deletePrompt, updatePrompt } from '$lib/server/services/prompts';
import { PromptBody } from '$lib/server/schemas';

const notFound = () => errorResponse(404, 'not_found', 'No such prompt');
const PatchBody = PromptBody.omit({ shared: true }).partial().strict();

export const PATCH: RequestHandler = async ({ params, locals, request }) => {
	const id = parseId(params.id);
	if (!id) return notFound();
	const body = await readJson(request, PatchBody);
	if (!body.ok) return body.response;
	const result = await updatePrompt(getRuntime().db, locals.user!, id, body.value);
	return result.ok ? json({ prompt: result.value }) : failureResponse(result);
};

export const DELETE: RequestHandler = async ({ params, locals }) => {
	const id = parseId(params.id);
	if (!id) return notFound();
	const result = await deletePrompt(getRuntime().db, locals.user!, id);
	return result.ok ? new Response(null, { status: 204 }) : failureResponse(result);
};
