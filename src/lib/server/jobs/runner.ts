// The in-process job runner: claims queued jobs oldest first within each provider's concurrency,
// streams the reply into the bus, checkpoints partial text on a time/size cadence (never per
// token), and ends every job in exactly one final state. Claims are conditional updates, so two
// runners (two instances on one PostgreSQL) never run the same job.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '$lib/server/db/database';
import type { Job } from '$lib/server/db/schema';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import type { ChatMessage, Provider, ProviderFailure } from '$lib/server/llm/types';
import { JobBus } from '$lib/server/jobs/bus';
import { capHistory } from '$lib/server/jobs/history';
import {
	cancelQueuedJob,
	failQueuedJob,
	finishJob,
	recoverJob,
	requeueJob,
	type Outcome,
	type Produced
} from '$lib/server/jobs/finish';
import { estimateUsage } from '$lib/server/jobs/usage-estimate';
import * as jobs from '$lib/server/repos/jobs';
import { messagePath, updateMessage } from '$lib/server/repos/messages';
import { findConversation } from '$lib/server/repos/conversations';
import type { JobParams } from '$lib/server/services/chat';
import type { JobObserver } from '$lib/server/metrics';

export const JOB_LIMITS = {
	checkpointIntervalMs: 1_000,
	checkpointChars: 4_096,
	heartbeatMs: 10_000,
	staleAfterMs: 45_000,
	pollMs: 1_000,
	maxDurationMs: 15 * 60_000,
	maxOutputChars: 200_000,
	maxAttempts: 3,
	retryBaseMs: 1_000
};

type StopReason = 'cancel' | 'shutdown' | 'too_long' | 'too_large';

interface Running {
	controller: AbortController;
	done: Promise<void>;
}

export interface RunnerDeps {
	db: Database;
	providers: ProviderRegistry;
	bus: JobBus;
	log: Logger;
	/** Told of first tokens and final states (metrics). */
	observer?: JobObserver;
	/** Other instances on the same database (PostgreSQL): where a cancel goes if not here. */
	peers?: { requestCancel(jobId: number): void };
	limits?: Partial<typeof JOB_LIMITS>;
}

export class JobRunner {
	readonly instanceId = randomUUID();
	private readonly limits: typeof JOB_LIMITS;
	private readonly running = new Map<number, Running>();
	private timer: NodeJS.Timeout | null = null;
	private ticking = false;
	private again = false;
	private stopped = false;

	constructor(private readonly deps: RunnerDeps) {
		this.limits = { ...JOB_LIMITS, ...deps.limits };
	}

	get activeCount() {
		return this.running.size;
	}

	/** Recover what a crash left behind, then start claiming. `recoverAll`: single instance (SQLite). */
	async start(options: { recoverAll: boolean }) {
		await this.recover(options.recoverAll ? null : Date.now() - this.limits.staleAfterMs);
		this.timer = setInterval(() => {
			void this.recover(Date.now() - this.limits.staleAfterMs).catch((e) =>
				this.deps.log.error({ err: e }, 'recovery failed')
			);
			this.wake();
		}, this.limits.pollMs);
		this.timer.unref();
		this.wake();
	}

	/** Ends running jobs as interrupted (partial text kept) and stops claiming. */
	async stop() {
		this.stopped = true;
		if (this.timer) clearInterval(this.timer);
		for (const run of this.running.values()) run.controller.abort('shutdown' satisfies StopReason);
		await Promise.all([...this.running.values()].map((r) => r.done));
	}

	private async recover(staleBefore: number | null) {
		for (const job of await jobs.listRunningJobs(this.deps.db, staleBefore)) {
			if (this.running.has(job.id)) continue;
			const result = await recoverJob(this.deps.db, job, this.limits.maxAttempts, (j) =>
				this.fromCheckpoint(j)
			);
			this.deps.log.warn({ jobId: job.id, result }, 'recovered a job left running');
			if (result === 'interrupted') this.deps.bus.end(job.id);
		}
	}

	wake() {
		if (this.stopped) return;
		if (this.ticking) {
			this.again = true;
			return;
		}
		this.ticking = true;
		void this.tick()
			.catch((error) => this.deps.log.error({ err: error }, 'job claim loop failed'))
			.finally(() => {
				this.ticking = false;
				if (this.again) {
					this.again = false;
					this.wake();
				}
			});
	}

	private async tick() {
		const { db, providers } = this.deps;
		const candidates = await jobs.listRunnableJobs(db, Date.now(), 64);
		for (const job of candidates) {
			if (this.stopped || this.running.has(job.id)) continue;
			const provider = await providers.get(job.provider);
			if (!provider) {
				await failQueuedJob(
					db,
					job,
					'provider_unavailable',
					`The provider "${job.provider}" is not configured or disabled`
				);
				this.deps.bus.end(job.id);
				continue;
			}
			const release = await providers.tryAcquire(provider);
			if (!release) continue;
			const now = Date.now();
			const claimed = await jobs.transitionJob(db, job.id, 'queued', {
				state: 'running',
				claimed_by: this.instanceId,
				started_at: now,
				heartbeat_at: now,
				attempts: job.attempts + 1,
				updated_at: now
			});
			if (!claimed) {
				release();
				continue;
			}
			const controller = new AbortController();
			const claimedJob: Job = { ...job, state: 'running', attempts: job.attempts + 1 };
			const done = this.execute(claimedJob, provider, controller)
				.catch(async (error) => {
					this.deps.log.error({ err: error, jobId: job.id }, 'job crashed');
					await this.endCrashed(job.id);
				})
				.finally(() => {
					release();
					this.running.delete(job.id);
					this.wake();
				});
			this.running.set(job.id, { controller, done });
		}
	}

	/** A run that threw (a database error, a bug): fail it now, keeping its last checkpoint. */
	private async endCrashed(jobId: number) {
		try {
			const job = await jobs.findJob(this.deps.db, jobId);
			if (job?.state !== 'running') return;
			await finishJob(
				this.deps.db,
				job,
				{ state: 'failed', code: 'internal', message: 'The reply failed on the server' },
				await this.fromCheckpoint(job)
			);
			this.deps.bus.end(jobId);
		} catch (error) {
			// Still failing: stale-job recovery ends it later.
			this.deps.log.error({ err: error, jobId }, 'could not end a crashed job');
		}
	}

	/** Stops a job if it runs in this process (a cancel relayed from another instance). */
	abortLocal(jobId: number) {
		this.running.get(jobId)?.controller.abort('cancel' satisfies StopReason);
	}

	private async settled(jobId: number, timeoutMs: number): Promise<Job | null> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const job = await jobs.findJob(this.deps.db, jobId);
			if (!job || !jobs.ACTIVE_STATES.includes(job.state)) return job ?? null;
			if (Date.now() > deadline) return null;
			await new Promise((r) => setTimeout(r, 50));
		}
	}

	/** Cancels a job of `userId`; resolves once it is in a final state. null: not this user's job. */
	async cancel(userId: number, jobId: number): Promise<Job | null> {
		const job = await jobs.findUserJob(this.deps.db, userId, jobId);
		if (!job) return null;
		const run = this.running.get(jobId);
		if (run) {
			run.controller.abort('cancel' satisfies StopReason);
			await run.done;
		} else if (job.state === 'queued') {
			if (await cancelQueuedJob(this.deps.db, job)) this.deps.bus.end(jobId);
		} else if (job.state === 'running') {
			// Running on another instance: ask it to stop (it keeps the partial text as usual).
			if (this.deps.peers && job.claimed_by !== this.instanceId) {
				this.deps.peers.requestCancel(jobId);
				const done = await this.settled(jobId, 5_000);
				if (done) return done;
			}
			// Its runner is gone (or did not answer): end it now from the last checkpoint.
			const current = (await jobs.findJob(this.deps.db, jobId)) ?? job;
			await finishJob(
				this.deps.db,
				current,
				{ state: 'cancelled' },
				await this.fromCheckpoint(current)
			);
			this.deps.bus.end(jobId);
		}
		return (await jobs.findJob(this.deps.db, jobId)) ?? null;
	}

	/** A job's last checkpoint as its outcome, with its tokens counted (nothing was reported). */
	private async fromCheckpoint(job: Job): Promise<Produced> {
		const produced: Produced = {
			text: job.partial_text,
			reasoning: job.partial_reasoning,
			usage: null
		};
		try {
			const provider = await this.deps.providers.get(job.provider);
			const prompt = await this.history(job, JSON.parse(job.params) as JobParams);
			produced.usage = await estimateUsage(provider, prompt, produced);
		} catch (error) {
			this.deps.log.warn({ err: error, jobId: job.id }, 'could not count the tokens of a job');
		}
		return produced;
	}

	private async history(job: Job, params: JobParams): Promise<ChatMessage[]> {
		const conversation = await findConversation(this.deps.db, job.user_id, job.conversation_id);
		const path = await messagePath(this.deps.db, job.conversation_id, job.user_message_id);
		const system = [conversation?.system_prompt, params.systemPrompt].filter(Boolean).join('\n\n');
		return capHistory([
			...(system ? [{ role: 'system' as const, content: system }] : []),
			...path
				.filter(
					(m) =>
						m.content &&
						(m.role === 'user' ||
							m.status === 'done' ||
							m.status === 'cancelled' ||
							m.status === 'interrupted')
				)
				.map((m) => ({ role: m.role, content: m.content }))
		]);
	}

	private async execute(job: Job, provider: Provider, controller: AbortController) {
		const { db, bus } = this.deps;
		const params = JSON.parse(job.params) as JobParams;
		const produced: Produced = { text: '', reasoning: '', usage: null };
		const prompt = await this.history(job, params);
		let failure: ProviderFailure | null = null;
		let checkpointAt = Date.now();
		let unsaved = 0;
		const startedAt = performance.now();
		let firstToken = true;
		bus.begin(job.id);
		const deadline = setTimeout(
			() => controller.abort('too_long' satisfies StopReason),
			this.limits.maxDurationMs
		);
		const heartbeat = setInterval(() => void checkpoint(), this.limits.heartbeatMs);
		const checkpoint = async () => {
			checkpointAt = Date.now();
			unsaved = 0;
			await jobs.checkpointJob(db, job.id, {
				partial_text: produced.text,
				partial_reasoning: produced.reasoning,
				heartbeat_at: checkpointAt,
				updated_at: checkpointAt
			});
		};
		try {
			if (job.assistant_message_id)
				await updateMessage(db, job.assistant_message_id, {
					status: 'streaming',
					updated_at: Date.now()
				});
			const request = {
				model: job.model,
				messages: prompt,
				temperature: params.temperature,
				maxTokens: params.maxTokens,
				reasoning: params.reasoning
			};
			for await (const event of provider.streamChat(request, controller.signal)) {
				if (event.type === 'text' || event.type === 'reasoning') {
					const channel = event.type;
					// A model can emit NUL; no database text column takes it, so it never enters.
					const text = event.text.includes('\0') ? event.text.replaceAll('\0', '') : event.text;
					if (!text) continue;
					if (firstToken) {
						firstToken = false;
						this.deps.observer?.firstToken(
							job.provider,
							job.model,
							(performance.now() - startedAt) / 1000
						);
					}
					produced[channel] += text;
					bus.append(job.id, channel, text);
					unsaved += text.length;
					if (produced.text.length + produced.reasoning.length > this.limits.maxOutputChars) {
						controller.abort('too_large' satisfies StopReason);
						break;
					}
					if (
						unsaved >= this.limits.checkpointChars ||
						Date.now() - checkpointAt >= this.limits.checkpointIntervalMs
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
						timings: event.timings
					};
					bus.usage(job.id, {
						promptTokens: event.promptTokens,
						completionTokens: event.completionTokens
					});
				} else if (event.type === 'error') {
					failure = event.error;
				}
			}
		} finally {
			clearTimeout(deadline);
			clearInterval(heartbeat);
		}
		const state = await this.conclude(
			job,
			{ produced, prompt, provider },
			failure,
			controller.signal.aborted ? (controller.signal.reason as StopReason) : null
		);
		this.deps.observer?.finished(
			job.provider,
			job.model,
			state,
			(performance.now() - startedAt) / 1000,
			produced.usage?.completionTokens ?? null
		);
	}

	private async conclude(
		job: Job,
		run: { produced: Produced; prompt: ChatMessage[]; provider: Provider },
		failure: ProviderFailure | null,
		stop: StopReason | null
	): Promise<Outcome['state'] | 'retry'> {
		const { produced, prompt } = run;
		const { db, bus } = this.deps;
		const nothingYet = !produced.text && !produced.reasoning;
		if (!stop && failure?.retryable && nothingYet && job.attempts < this.limits.maxAttempts) {
			const delay = this.limits.retryBaseMs * 4 ** (job.attempts - 1);
			await requeueJob(db, job, Date.now() + delay, failure);
			this.deps.log.info(
				{ jobId: job.id, attempt: job.attempts, delay, code: failure.code },
				'job will retry'
			);
			return 'retry';
		}
		let outcome: Outcome;
		if (stop === 'cancel') outcome = { state: 'cancelled' };
		else if (stop === 'shutdown')
			outcome = {
				state: 'interrupted',
				message:
					'The server was shut down while this reply was being written; the text so far is kept.'
			};
		else if (stop === 'too_long')
			outcome = {
				state: 'failed',
				code: 'too_long',
				message: `The reply took longer than ${Math.round(this.limits.maxDurationMs / 60_000)} minutes and was stopped; the text so far is kept.`
			};
		else if (stop === 'too_large')
			outcome = {
				state: 'failed',
				code: 'too_large',
				message: `The reply grew past ${this.limits.maxOutputChars} characters and was stopped; the text so far is kept.`
			};
		else if (failure) {
			outcome = { state: 'failed', code: failure.code, message: failure.message };
			this.deps.log.warn(
				{ jobId: job.id, provider: job.provider, code: failure.code, detail: failure.detail },
				'reply failed upstream'
			);
		} else outcome = { state: 'done' };
		// Stopped, failed mid-reply or interrupted before the provider reported its usage: the
		// tokens were still spent, so count them. A failure before any output spent nothing.
		if (!produced.usage && !(outcome.state === 'failed' && nothingYet))
			produced.usage = await estimateUsage(run.provider, prompt, produced);
		await finishJob(db, job, outcome, produced);
		bus.end(job.id);
		return outcome.state;
	}
}
