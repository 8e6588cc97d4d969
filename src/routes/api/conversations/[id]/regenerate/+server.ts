import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { regenerateReply, replyDeps } from '$lib/server/services/chat';
import { ModelRef, Reasoning, RowId, Temperature } from '$lib/server/schemas';

const RegenerateBody = z
	.object({
		messageId: RowId,
		model: ModelRef.optional(),
		temperature: Temperature.optional(),
		maxTokens: z.number().int().min(1).max(200_000).optional(),
		reasoning: Reasoning.optional()
	})
	.strict();

/** POST — another reply to a user message (or to the message a reply answered) → 202. */
export const POST: RequestHandler = async ({ params, locals, request }) => {
	const id = parseId(params.id);
	if (!id) return errorResponse(404, 'not_found', 'No such conversation');
	const body = await readJson(request, RegenerateBody);
	if (!body.ok) return body.response;
	const { db, providers, runner } = getRuntime();
	const deps = replyDeps(providers, runner, db);
	const result = await regenerateReply(db, locals.user!.id, id, body.value, deps);
	if (!result.ok) return failureResponse(result);
	return json({ reply: result.reply, job: result.job }, 202);
};
