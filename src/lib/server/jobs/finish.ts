// The final writes of a job: reply text, usage and state in one transaction; or back to the queue
// for a retry; or, after a crash, interrupted with its partial text kept.
import type { Database, Executor } from '$lib/server/db/database';
import type { Job, MessageStatus } from '$lib/server/db/schema';
import type { FinishReason, LlamaTimings } from '$lib/server/llm/types';
import { touchConversation } from '$lib/server/repos/conversations';
import * as jobs from '$lib/server/repos/jobs';
import { updateMessage } from '$lib/server/repos/messages';
import { recordUsage, type RecordedUsage } from '$lib/server/services/pricing';

export type Outcome =
	| { state: 'done' }
	| { state: 'cancelled' }
	| { state: 'interrupted'; message: string }
	| { state: 'failed'; code: string; message: string };

export interface Produced {
	text: string;
	reasoning: string;
	/** `estimated`: counted by Hearth, not reported by the provider. */
	usage: (RecordedUsage & { timings?: LlamaTimings }) | null;
	/** Why the provider ended the reply, when it said ("length": cut by the token limit). */
	finishReason?: FinishReason;
}

const MESSAGE_STATUS: Record<Outcome['state'], MessageStatus> = {
	done: 'done',
	cancelled: 'cancelled',
	interrupted: 'interrupted',
	failed: 'failed'
};

/** Writes the reply and ends the job; false when the job was no longer running (e.g. deleted). */
export async function finishJob(
	db: Database,
	job: Job,
	outcome: Outcome,
	produced: Produced
): Promise<boolean> {
	const now = Date.now();
	const error =
		outcome.state === 'failed' || outcome.state === 'interrupted' ? outcome.message : null;
	return db.transaction().execute(async (trx) => {
		const moved = await jobs.transitionJob(trx, job.id, 'running', {
			state: outcome.state,
			finished_at: now,
			updated_at: now,
			partial_text: '',
			partial_reasoning: '',
			error_code:
				outcome.state === 'failed'
					? outcome.code
					: outcome.state === 'interrupted'
						? 'interrupted'
						: null,
			error_message: error
		});
		if (!moved) return false;
		await writeReply(trx, job, MESSAGE_STATUS[outcome.state], produced, error, now);
		if (produced.usage)
			await recordUsage(
				trx,
				{
					userId: job.user_id,
					conversationId: job.conversation_id,
					messageId: job.assistant_message_id,
					jobId: job.id,
					provider: job.provider,
					model: job.model
				},
				produced.usage,
				now
			);
		await touchConversation(trx, job.conversation_id, now);
		return true;
	});
}

async function writeReply(
	trx: Executor,
	job: Job,
	status: MessageStatus,
	produced: Produced,
	error: string | null,
	now: number
) {
	if (!job.assistant_message_id) return;
	const reported = produced.usage?.estimated ? null : produced.usage;
	await updateMessage(trx, job.assistant_message_id, {
		content: produced.text,
		reasoning: produced.reasoning || null,
		status,
		error,
		// An estimate counts in the usage totals; the reply shows only what the provider reported.
		prompt_tokens: reported?.promptTokens ?? null,
		completion_tokens: reported?.completionTokens ?? null,
		timings: produced.usage?.timings ? JSON.stringify(produced.usage.timings) : null,
		finish_reason: produced.finishReason ?? null,
		updated_at: now
	});
}

/** Back to the queue after a transient failure, to run again at `runAfter`. */
export async function requeueJob(
	db: Database,
	job: Job,
	runAfter: number,
	failure: { code: string; message: string }
) {
	const now = Date.now();
	await db.transaction().execute(async (trx) => {
		const moved = await jobs.transitionJob(trx, job.id, 'running', {
			state: 'queued',
			run_after: runAfter,
			claimed_by: null,
			updated_at: now,
			error_code: failure.code,
			error_message: failure.message
		});
		if (moved && job.assistant_message_id)
			await updateMessage(trx, job.assistant_message_id, { status: 'queued', updated_at: now });
	});
}

/** A queued job's reply text: empty, or for a Continue the text it was to extend. */
function queuedText(job: Job): Produced {
	return { text: job.partial_text, reasoning: job.partial_reasoning, usage: null };
}

/** A queued job that can never run (e.g. its provider was removed) fails without running. */
export async function failQueuedJob(
	db: Database,
	job: Job,
	code: string,
	message: string
): Promise<boolean> {
	const now = Date.now();
	return db.transaction().execute(async (trx) => {
		if (
			!(await jobs.transitionJob(trx, job.id, 'queued', {
				state: 'failed',
				finished_at: now,
				updated_at: now,
				error_code: code,
				error_message: message
			}))
		)
			return false;
		await writeReply(trx, job, 'failed', queuedText(job), message, now);
		return true;
	});
}

/** A queued job the user stopped before it started. */
export async function cancelQueuedJob(db: Database, job: Job): Promise<boolean> {
	const now = Date.now();
	return db.transaction().execute(async (trx) => {
		if (
			!(await jobs.transitionJob(trx, job.id, 'queued', {
				state: 'cancelled',
				finished_at: now,
				updated_at: now
			}))
		)
			return false;
		await writeReply(trx, job, 'cancelled', queuedText(job), null, now);
		return true;
	});
}

export const INTERRUPTED_MESSAGE =
	'The server stopped while this reply was being written; the text so far is kept.';

/**
 * After a crash: a job that had streamed nothing goes back to the queue (it never reached the
 * user, so a re-run duplicates nothing); one with partial text ends as interrupted, text kept.
 */
export async function recoverJob(
	db: Database,
	job: Job,
	maxAttempts: number,
	fromCheckpoint: (job: Job) => Promise<Produced> = async (j) => ({
		text: j.partial_text,
		reasoning: j.partial_reasoning,
		usage: null
	})
) {
	const streamed = job.partial_text !== '' || job.partial_reasoning !== '';
	if (!streamed && job.attempts < maxAttempts) {
		await requeueJob(db, job, Date.now(), {
			code: 'restarted',
			message: 'Restarted after the server stopped'
		});
		return 'requeued' as const;
	}
	await finishJob(
		db,
		job,
		{ state: 'interrupted', message: INTERRUPTED_MESSAGE },
		await fromCheckpoint(job)
	);
	return 'interrupted' as const;
}
