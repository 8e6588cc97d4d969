// The run of one claimed job: the prompt (services/prompt.ts), the provider's stream into the bus,
// partial text checkpointed on a time/size cadence (never per token), then `conclude()` and the
// final writes. The runner (jobs/runner.ts) owns claiming, slots and stopping.
import type { Logger } from 'pino';
import type { Database } from '$lib/server/db/database';
import type { Job } from '$lib/server/db/schema';
import type { JobBus } from '$lib/server/jobs/bus';
import { conclude, type StopReason } from '$lib/server/jobs/conclude';
import { finishJob, requeueJob, type Produced } from '$lib/server/jobs/finish';
import { estimateUsage } from '$lib/server/jobs/usage-estimate';
import { whileUnavailable } from '$lib/server/jobs/db-retry';
import { databaseUnavailable } from '$lib/server/db/errors';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import type { ChatMessage, Provider, ProviderFailure } from '$lib/server/llm/types';
import type { JobObserver } from '$lib/server/metrics';
import * as jobs from '$lib/server/repos/jobs';
import { updateMessage } from '$lib/server/repos/messages';
import type { JobParams } from '$lib/server/services/chat';
import { screenReply, screensReplies } from '$lib/server/services/content-policy';
import type { GuardContext } from '$lib/server/services/guard-model';
import { promptFor, type PromptHistory } from '$lib/server/services/prompt';

/** After a checkpoint the database refused, the next waits this long (each try may block). */
const CHECKPOINT_BACKOFF_MS = 5_000;

export interface RunLimits {
	checkpointIntervalMs: number;
	checkpointChars: number;
	heartbeatMs: number;
	maxDurationMs: number;
	maxAttempts: number;
	awayMaxAttempts: number;
	retryBaseMs: number;
	retryMaxDelayMs: number;
}

/** A reply reached done or failed; `watched`: a page in this process was streaming it. */
export type ReplyEndedHook = (job: Job, state: 'done' | 'failed', watched: boolean) => void;

export interface RunDeps {
	db: Database;
	bus: JobBus;
	log: Logger;
	observer?: JobObserver;
	limits: RunLimits;
	/** Told after the final write, synchronously, before subscribers hear the end. */
	onReplyEnded?: ReplyEndedHook;
	/** Where the content policy's guard models run when a finished reply is screened. */
	providers?: ProviderRegistry;
	/** Gives the job's provider slot back early (before a guard model is asked about the reply). */
	releaseSlot?: () => void;
}

/** Streams `job` (already claimed, `running`) to its end; `controller` aborts it with a StopReason. */
export async function runJob(
	deps: RunDeps,
	job: Job,
	provider: Provider,
	controller: AbortController,
	/** The prompt's history, when the enqueue transaction read it (services/prompt.ts). */
	history?: PromptHistory
) {
	const { db, bus, limits } = deps;
	const params = JSON.parse(job.params) as JobParams;
	// A Continue extends its reply: it starts from the text it was queued with.
	const from = params.continue
		? { text: job.partial_text, reasoning: job.partial_reasoning }
		: { text: '', reasoning: '' };
	const produced: Produced = { ...from, usage: null };
	const prompt = await promptFor(db, job, params, {
		provider,
		continueText: params.continue ? from.text : undefined,
		history,
		countLater: true
	});
	if (!prompt.ok) {
		await finishJob(
			db,
			job,
			{ state: 'failed', code: prompt.code, message: prompt.message },
			produced
		);
		bus.end(job.id);
		return;
	}
	const { messages } = prompt;
	const retry = (what: string) => ({ log: deps.log, jobId: job.id, what });
	const messageId = job.assistant_message_id;
	// The request goes upstream now; the reply's row is marked while the model reads the prompt
	// (no event is taken before that write is done).
	const events = provider
		.streamChat(
			{
				model: job.model,
				messages,
				temperature: params.temperature,
				maxTokens: params.maxTokens,
				reasoning: params.reasoning
			},
			controller.signal
		)
		[Symbol.asyncIterator]();
	const first = events.next();
	first.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
	// Counted while the request is on its way, where the texts' byte counts already fit.
	const context = prompt.context ?? (await prompt.counting) ?? null;
	if (messageId)
		await whileUnavailable(
			() =>
				updateMessage(db, messageId, {
					status: 'streaming',
					updated_at: Date.now(),
					...(context
						? {
								context_tokens: context.used,
								context_window: context.window,
								context_omitted: context.omitted.length ? JSON.stringify(context.omitted) : null
							}
						: {})
				}),
			retry('reply start')
		).catch(async (error: unknown) => {
			await Promise.resolve(events.return?.()).catch(() => {});
			throw error;
		});
	let failure: ProviderFailure | null = null;
	let checkpointAt = Date.now();
	let unsaved = 0;
	const startedAt = performance.now();
	let firstToken = true;
	bus.begin(job.id, from);
	const deadline = setTimeout(
		() => controller.abort('too_long' satisfies StopReason),
		limits.maxDurationMs
	);
	let pausedUntil = 0;
	// A checkpoint the database refuses (locked, full, restarting) is skipped, not fatal: the text
	// is in memory and the bus, and the next checkpoint or the final write saves it.
	const checkpoint = async () => {
		checkpointAt = Date.now();
		unsaved = 0;
		try {
			await jobs.checkpointJob(db, job.id, {
				partial_text: produced.text,
				partial_reasoning: produced.reasoning,
				heartbeat_at: checkpointAt,
				updated_at: checkpointAt
			});
		} catch (error) {
			const down = databaseUnavailable(error);
			if (!down) throw error;
			pausedUntil = Date.now() + CHECKPOINT_BACKOFF_MS;
			deps.log.warn({ jobId: job.id, code: down.code }, 'checkpoint skipped');
		}
	};
	const heartbeat = setInterval(
		() =>
			void checkpoint().catch((error) =>
				deps.log.error({ err: error, jobId: job.id }, 'heartbeat failed')
			),
		limits.heartbeatMs
	);
	try {
		for (let next = await first; !next.done; next = await events.next()) {
			const event = next.value;
			if (event.type === 'text' || event.type === 'reasoning') {
				const channel = event.type;
				// A model can emit NUL; no database text column takes it, so it never enters.
				const text = event.text.includes('\0') ? event.text.replaceAll('\0', '') : event.text;
				if (!text) continue;
				if (firstToken) {
					firstToken = false;
					deps.observer?.firstToken(
						job.provider,
						job.model,
						(performance.now() - startedAt) / 1000
					);
				}
				produced[channel] += text;
				bus.append(job.id, channel, text);
				unsaved += text.length;
				if (
					Date.now() >= pausedUntil &&
					(unsaved >= limits.checkpointChars ||
						Date.now() - checkpointAt >= limits.checkpointIntervalMs)
				)
					await checkpoint();
			} else if (event.type === 'usage') {
				produced.usage = {
					promptTokens: event.promptTokens,
					completionTokens: event.completionTokens,
					cachedTokens: event.cachedTokens,
					cacheWriteTokens: event.cacheWriteTokens,
					reasoningTokens: event.reasoningTokens,
					local: provider.kind === 'llamacpp',
					timings: event.timings,
					estimated: event.estimated
				};
				bus.usage(job.id, {
					promptTokens: event.promptTokens,
					completionTokens: event.completionTokens
				});
			} else if (event.type === 'finish') {
				produced.finishReason = event.reason;
			} else if (event.type === 'status') {
				bus.status(job.id, event.status);
			} else if (event.type === 'error') {
				failure = event.error;
			}
		}
	} finally {
		clearTimeout(deadline);
		clearInterval(heartbeat);
		// Left early (a throw): the stream is closed as for-await would close it.
		await Promise.resolve(events.return?.()).catch(() => {});
	}
	const stop = controller.signal.aborted ? (controller.signal.reason as StopReason) : null;
	const added = {
		text: produced.text.slice(from.text.length),
		reasoning: produced.reasoning.slice(from.reasoning.length)
	};
	const conclusion = conclude({ produced: added, failure, stop, attempts: job.attempts, limits });
	if (conclusion.kind === 'retry') {
		await whileUnavailable(
			() => requeueJob(db, job, Date.now() + conclusion.delayMs, failure!),
			retry('reply retry')
		);
		deps.log.info(
			{ jobId: job.id, attempt: job.attempts, delay: conclusion.delayMs, code: failure!.code },
			'job will retry'
		);
	} else {
		const { outcome } = conclusion;
		if (outcome.state === 'failed' && failure && !stop)
			deps.log.warn(
				{ jobId: job.id, provider: job.provider, code: failure.code, detail: failure.detail },
				'reply failed upstream'
			);
		// Stopped, failed mid-reply or interrupted before the provider reported its usage: the
		// tokens were still spent, so count them. A failure before any output spent nothing.
		const nothingYet = !added.text && !added.reasoning;
		if (!produced.usage && !(outcome.state === 'failed' && nothingYet))
			produced.usage = await estimateUsage(provider, messages, added);
		// Screening reads the policy from the database: it waits out an outage like the write.
		if (outcome.state === 'done')
			await whileUnavailable(
				() => screenFinishedReply(deps, job, messages, produced),
				retry('reply screening')
			);
		const finished = await whileUnavailable(
			() => finishJob(db, job, outcome, produced),
			retry('reply end')
		);
		if (finished && (outcome.state === 'done' || outcome.state === 'failed'))
			deps.onReplyEnded?.(job, outcome.state, bus.subscriberCount(job.id) > 0);
		bus.end(job.id);
	}
	deps.observer?.finished(
		job.provider,
		job.model,
		conclusion.kind === 'retry' ? 'retry' : conclusion.outcome.state,
		(performance.now() - startedAt) / 1000,
		produced.usage?.completionTokens ?? null
	);
}

/**
 * The content policy on a finished reply (rules that screen replies): a breaking reply is replaced
 * by the rule's refusal, which the page reads at the end; the original text is not kept.
 */
async function screenFinishedReply(
	deps: RunDeps,
	job: Job,
	messages: ChatMessage[],
	produced: Produced
) {
	if (!produced.text || !(await screensReplies(deps.db))) return;
	deps.releaseSlot?.();
	const prompt = messages.findLast((m) => m.role === 'user')?.content ?? '';
	const guard: GuardContext | undefined = deps.providers && {
		db: deps.db,
		providers: deps.providers,
		userId: job.user_id,
		source: 'chat'
	};
	const refusal = await screenReply(deps.db, prompt, produced.text, Date.now(), guard);
	if (!refusal) return;
	produced.text = refusal.message;
	produced.reasoning = '';
	produced.finishReason = 'content_filter';
}
