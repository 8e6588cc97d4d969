import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { MAX_MESSAGE_CHARS, replyDeps, sendMessage } from '$lib/server/services/chat';
import { ModelRef, Reasoning, RowId, Temperature } from '$lib/server/schemas';
import { jobEventResponse } from '$lib/server/jobs/events';
import { tooManyStreams } from '$lib/server/jobs/streams';
import { ATTACHMENT_ID, MAX_ATTACHMENTS_PER_MESSAGE } from '$lib/shared/attachments';

const SendBody = z.object({
	content: z.string().max(MAX_MESSAGE_CHARS),
	attachments: z
		.array(z.string().regex(ATTACHMENT_ID, 'an attachment id'))
		.max(MAX_ATTACHMENTS_PER_MESSAGE)
		.optional(),
	parentId: RowId.nullable().optional(),
	model: ModelRef.optional(),
	temperature: Temperature.optional(),
	maxTokens: z.number().int().min(1).max(200_000).optional(),
	reasoning: Reasoning.optional(),
	/** Send a message too large for the model's context window cut to fit, not refused. */
	truncate: z.boolean().optional(),
	clientId: z
		.string()
		.min(8)
		.max(100)
		.regex(/^[\w-]+$/, 'letters, digits, - and _ only')
		.optional()
});

export const POST: RequestHandler = async ({ params, locals, request }) => {
	const id = parseId(params.id);
	if (!id) return errorResponse(404, 'not_found', 'No such conversation');
	const body = await readJson(request, SendBody);
	if (!body.ok) return body.response;
	const { db, providers, runner, bus, streams } = getRuntime();
	// A stream place is taken first: refused, nothing is sent, and the client can simply retry.
	const slot = request.headers.get('accept')?.includes('text/event-stream')
		? streams.open(locals.user!.id, locals.session?.id ?? null)
		: null;
	if (slot && !slot.ok) return tooManyStreams(slot.retryAfterSeconds);
	const release = () => (slot?.ok ? slot.options.onEnd() : undefined);
	const deps = replyDeps(providers, runner, db);
	const result = await sendMessage(db, locals.user!.id, id, body.value, deps).catch(
		(error: unknown) => {
			release();
			throw error;
		}
	);
	if (!result.ok) {
		release();
		return failureResponse(result);
	}
	const { message, reply, job } = result;
	// Accept: text/event-stream — enqueue and stream in one request (one round trip fewer on a
	// phone); the first event, `job`, carries what the 202 body would. Reconnects use /events.
	if (slot?.ok) {
		return jobEventResponse({ db, bus }, { id: job.id, user_id: locals.user!.id }, null, {
			prelude: { event: 'job', data: { message, reply, job } },
			status: result.duplicate ? 200 : 202,
			...slot.options
		});
	}
	return json({ message, reply, job }, result.duplicate ? 200 : 202);
};
