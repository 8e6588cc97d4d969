import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { replyDeps } from '$lib/server/services/chat';
import { continueReply } from '$lib/server/services/continue';

const ContinueBody = z
	.object({ maxTokens: z.number().int().min(1).max(200_000).optional() })
	.strict();

/** POST — extend a stopped, interrupted or length-cut reply in place → 202 { reply, job }. */
export const POST: RequestHandler = async ({ params, locals, request }) => {
	const id = parseId(params.id);
	if (!id) return errorResponse(404, 'not_found', 'No such message');
	// The body is optional: an empty POST continues with the conversation's settings.
	let options: z.output<typeof ContinueBody> = {};
	if (request.headers.get('content-length') !== '0' && request.body) {
		const body = await readJson(request, ContinueBody);
		if (!body.ok) return body.response;
		options = body.value;
	}
	const { db, providers, runner } = getRuntime();
	const deps = replyDeps(providers, runner);
	const result = await continueReply(db, locals.user!.id, id, options, deps);
	if (!result.ok) return failureResponse(result);
	return json({ reply: result.reply, job: result.job }, 202);
};
