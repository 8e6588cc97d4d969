import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { localModelDeps, setDefaultModel } from '$lib/server/services/local-models';

const Body = z.object({ model: z.string().max(300) }).strict();

/** The model new chats start with (`provider/model`), or "" to let Hearth choose. */
export const PUT: RequestHandler = async ({ locals, request }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const body = await readJson(request, Body);
	if (!body.ok) return body.response;
	const result = await setDefaultModel(localModelDeps(getRuntime()), body.value.model);
	return result.ok ? json({ default: body.value.model || null }) : failureResponse(result);
};
