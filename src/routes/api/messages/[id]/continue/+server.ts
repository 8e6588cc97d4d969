import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { replyDeps } from '$lib/server/services/chat';
import { continueReply } from '$lib/server/services/continue';

/** POST — extend a stopped, interrupted or length-cut reply in place → 202 { reply, job }. */
export const POST: RequestHandler = async ({ params, locals }) => {
	const id = parseId(params.id);
	if (!id) return errorResponse(404, 'not_found', 'No such message');
	const { db, providers, runner } = getRuntime();
	const result = await continueReply(db, locals.user!.id, id, replyDeps(providers, runner));
	if (!result.ok) return failureResponse(result);
	return json({ reply: result.reply, job: result.job }, 202);
};
