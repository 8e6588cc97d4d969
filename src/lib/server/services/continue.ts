// Continue: a reply that was stopped, interrupted or cut by the token limit is extended in place —
// the SAME message — by a new job like any other (durable, resumable, cancellable). The job is
// queued holding the reply's text as its partial text, so a client that joins sees the whole
// message from the start, and a cancel before it runs keeps the text.
import type { Database } from '$lib/server/db/database';
import type { Message } from '$lib/server/db/schema';
import * as conversations from '$lib/server/repos/conversations';
import * as jobs from '$lib/server/repos/jobs';
import * as messages from '$lib/server/repos/messages';
import {
	atJobCap,
	jobParams,
	splitModelRef,
	type JobParams,
	type ReplyDeps
} from '$lib/server/services/chat';
import { isContinuable, toJobDto, toMessageDto } from '$lib/server/services/dto';
import type { JobDto, MessageDto } from '$lib/shared/dto';

export type ContinueResult =
	| { ok: true; reply: MessageDto; job: JobDto }
	| {
			ok: false;
			code: 'not_found' | 'not_continuable' | 'too_many_jobs' | 'budget_exceeded' | 'invalid';
			message: string;
	  };

const NOT_CONTINUABLE = {
	ok: false as const,
	code: 'not_continuable' as const,
	message: 'Only a reply that was stopped, interrupted or cut off by its length can be continued'
};

export async function continueReply(
	db: Database,
	userId: number,
	messageId: number,
	options: { maxTokens?: number },
	deps: Pick<ReplyDeps, 'defaultModel' | 'enqueued'>
): Promise<ContinueResult> {
	const found = await messages.findMessage(db, userId, messageId);
	const conversation =
		found && (await conversations.findConversation(db, userId, found.conversation_id));
	if (!found || !conversation) return { ok: false, code: 'not_found', message: 'No such message' };
	if (!isContinuable(found) || found.parent_id === null) return NOT_CONTINUABLE;
	const ref =
		found.provider && found.model
			? { provider: found.provider, model: found.model }
			: splitModelRef(conversation.model ?? (await deps.defaultModel()));
	if (!ref)
		return { ok: false, code: 'invalid', message: 'This reply has no model to continue with' };
	const params: JobParams = { ...jobParams(conversation, options), continue: true };
	const result = await db.transaction().execute(async (trx) => {
		const full = await atJobCap(trx, userId);
		if (full) return full;
		// Read again under the user's lock: two Continues at once start one job.
		const reply: Message | undefined = await messages.findMessage(trx, userId, messageId);
		if (!reply || !isContinuable(reply)) return NOT_CONTINUABLE;
		const now = Date.now();
		const job = await jobs.insertJob(trx, {
			user_id: userId,
			conversation_id: reply.conversation_id,
			user_message_id: reply.parent_id!,
			assistant_message_id: reply.id,
			provider: ref.provider,
			model: ref.model,
			params: JSON.stringify(params),
			state: 'queued',
			partial_text: reply.content,
			partial_reasoning: reply.reasoning ?? '',
			run_after: now,
			created_at: now,
			updated_at: now
		});
		await messages.updateMessage(trx, reply.id, {
			status: 'queued',
			error: null,
			finish_reason: null,
			provider: ref.provider,
			model: ref.model,
			updated_at: now
		});
		await conversations.updateConversation(trx, userId, reply.conversation_id, {
			updated_at: now
		});
		const queued = { ...reply, status: 'queued' as const, error: null, finish_reason: null };
		return { ok: true as const, reply: toMessageDto(queued, job.id), job };
	});
	if (!result.ok) return result;
	deps.enqueued(result.job);
	return { ok: true, reply: result.reply, job: toJobDto(result.job) };
}
