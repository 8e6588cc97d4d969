import type { RequestHandler } from './$types';
import { failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { PromptBody } from '$lib/server/schemas';
import { createPrompt, listPrompts } from '$lib/server/services/prompts';

export const GET: RequestHandler = async ({ locals }) =>
	json({ prompts: await listPrompts(getRuntime().db, locals.user!) });

export const POST: RequestHandler = async ({ locals, request }) => {
	const body = await readJson(request, PromptBody);
	if (!body.ok) return body.response;
	const result = await createPrompt(getRuntime().db, locals.user!, body.value);
	return result.ok ? json({ prompt: result.value }, 201) : failureResponse(result);
};
