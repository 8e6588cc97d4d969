// The in-process job runner: each queued job waits for a slot on its provider's gate in its
// user's fair turn (shared with /v1 requests, llm/concurrency.ts), then is claimed and run
// (jobs/run-job.ts) to exactly one final state. A job enqueued here joins the gate at once
// (`submit`, no listing); the claim loop finds the rest, oldest first. A reply that can start at
// once (`takeSlot`: a free slot, nobody waiting) is inserted already claimed and handed over in
// memory with its prompt's history. Claims of queued jobs are conditional updates, so two runners
// (two instances on one PostgreSQL) never run the same job.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '$lib/server/db/database';
import type { Job } from '$lib/server/db/schema';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import type { Provider } from '$lib/server/llm/types';
import type { ReplySlot, StartedReply } from '$lib/server/services/chat';
import type { PromptHistory } from '$lib/server/services/prompt';
import { JobBus } from '$lib/server/jobs/bus';
import { cancelJob } from '$lib/server/jobs/cancel';
import type { StopReason } from '$lib/server/jobs/conclude';
import { failQueuedJob, finishJob, recoverJob } from '$lib/server/jobs/finish';
import { runJob, type ReplyEndedHook } from '$lib/server/jobs/run-job';
import { fromCheckpoint, type TokenCount } from '$lib/server/jobs/usage-estimate';
import { JOB_LIMITS } from '$lib/server/jobs/limits';
import * as jobs from '$lib/server/repos/jobs';
import type { JobObserver } from '$lib/server/metrics';

/** What the runner needs of a queued job to put it in its provider's gate. */
export type QueuedJob = Pick<Job, 'id' | 'provider' | 'user_id'>;
/** Queued jobs looked at per pass of the claim loop. */
const CLAIM_BATCH = 64;

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
	/** A reply reached done or failed here (push notifications); must not throw. */
	onReplyEnded?: ReplyEndedHook;
}

export class JobRunner {
	readonly instanceId = randomUUID();
	private readonly limits: typeof JOB_LIMITS;
	private readonly running = new Map<number, Running>();
	/** Jobs waiting on their provider's gate; aborting one leaves the gate. */
	private readonly waiting = new Map<number, AbortController>();
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

	/**
	 * Recovers what a crash left behind, then starts claiming. `recoverAll`: single instance (SQLite).
	 * This first recovery counts tokens from the text's length, never with the model server: it
	 * may be what is hung, and the server does not answer until this is done.
	 */
	async start(options: { recoverAll: boolean }) {
		await this.recover(options.recoverAll ? null : Date.now() - this.limits.staleAfterMs, 'length');
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
		for (const wait of this.waiting.values()) wait.abort('shutdown' satisfies StopReason);
		for (const run of this.running.values()) run.controller.abort('shutdown' satisfies StopReason);
		await Promise.all([...this.running.values()].map((r) => r.done));
	}

	private async recover(staleBefore: number | null, count: TokenCount = 'provider') {
		for (const job of await jobs.listRunningJobs(this.deps.db, staleBefore)) {
			if (this.running.has(job.id)) continue;
			const result = await recoverJob(this.deps.db, job, this.limits.maxAttempts, (j) =>
				fromCheckpoint(this.deps, j, count)
			);
			this.deps.log.warn({ jobId: job.id, result }, 'recovered a job left running');
			if (result === 'interrupted') this.deps.bus.end(job.id);
		}
	}

	/** Runs the claim loop (again, if it is running now). */
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

	/**
	 * A slot for a new reply of `userId`, if its provider has one free and nobody waits for one:
	 * the reply is then inserted claimed by this instance and handed to `submit` with it.
	 */
	async takeSlot(providerId: string, userId: number): Promise<ReplySlot | null> {
		const provider = this.stopped ? undefined : await this.deps.providers.get(providerId);
		const release = provider && (await this.deps.providers.tryAcquire(provider, userId));
		if (!provider || !release || this.stopped) {
			release?.();
			return null;
		}
		return { claimedBy: this.instanceId, provider, release };
	}

	/**
	 * A job just enqueued in this process: joins its provider's gate now, without listing the
	 * queue; it is claimed and started when its user's turn comes. `started`: it was inserted
	 * claimed by this instance in a slot already taken (`takeSlot`), and runs now.
	 */
	submit(job: QueuedJob): void;
	submit(job: Job, started: StartedReply | undefined): void;
	submit(job: QueuedJob | Job, started?: StartedReply) {
		if (started) {
			// Stopping: the row stays running, claimed here; recovery at the next start takes it.
			if (this.stopped) started.slot.release();
			else this.run(job as Job, started.slot.provider, started.slot.release, started.history);
			return;
		}
		if (this.stopped) return;
		void this.deps.providers
			.get(job.provider)
			.then((provider) => (provider ? this.queue(job, provider) : this.wake()))
			.catch((error) => {
				this.deps.log.error({ err: error, jobId: job.id }, 'could not start a job');
				this.wake();
			});
	}

	/** Waits (once per job) for the job's turn on the provider's gate, then claims and runs it. */
	private queue(job: QueuedJob, provider: Provider) {
		if (this.stopped || this.running.has(job.id) || this.waiting.has(job.id)) return;
		const wait = new AbortController();
		this.waiting.set(job.id, wait);
		void this.deps.providers
			.acquire(provider, job.user_id, wait.signal)
			.then(
				(release) => {
					this.waiting.delete(job.id);
					return this.claimAndRun(job.id, provider, release);
				},
				() => this.waiting.delete(job.id)
			)
			.catch((error) =>
				this.deps.log.error({ err: error, jobId: job.id }, 'could not start a job')
			);
	}

	private async tick() {
		const { db, providers } = this.deps;
		for (const job of await jobs.listRunnableJobs(db, Date.now(), CLAIM_BATCH)) {
			if (this.stopped || this.running.has(job.id) || this.waiting.has(job.id)) continue;
			const provider = await providers.get(job.provider);
			if (!provider) {
				const failed = await failQueuedJob(
					db,
					job,
					'provider_unavailable',
					`The provider "${job.provider}" is not configured or disabled`
				);
				if (failed) this.endedHere(job, 'failed');
				this.deps.bus.end(job.id);
				continue;
			}
			this.queue(job, provider);
		}
	}

	/** Claims a queued job (a conditional update) and runs it in a slot already taken. */
	private async claimAndRun(jobId: number, provider: Provider, release: () => void) {
		const now = Date.now();
		let job: Job | undefined;
		try {
			job = this.stopped
				? undefined
				: await jobs.claimJob(this.deps.db, jobId, {
						claimed_by: this.instanceId,
						started_at: now,
						heartbeat_at: now,
						updated_at: now
					});
		} finally {
			if (!job) release(); // not ours (cancelled, claimed elsewhere) or the claim failed
		}
		if (job) this.run(job, provider, release);
	}

	/** Runs a job claimed by this instance in a slot already taken. */
	private run(job: Job, provider: Provider, release: () => void, history?: PromptHistory) {
		const jobId = job.id;
		const controller = new AbortController();
		const { db, bus, log, observer, onReplyEnded, providers } = this.deps;
		let released = false;
		const releaseSlot = () => {
			if (released) return;
			released = true;
			release();
		};
		const deps = {
			db,
			bus,
			log,
			observer,
			onReplyEnded,
			limits: this.limits,
			providers,
			releaseSlot
		};
		const done = runJob(deps, job, provider, controller, history)
			.catch(async (error) => {
				log.error({ err: error, jobId }, 'job crashed');
				await this.endCrashed(jobId);
			})
			.finally(() => {
				releaseSlot();
				this.running.delete(jobId);
				this.wake();
			});
		this.running.set(jobId, { controller, done });
	}

	/** A run that threw (a database error, a bug): fail it now, keeping its last checkpoint. */
	private async endCrashed(jobId: number) {
		try {
			const job = await jobs.findJob(this.deps.db, jobId);
			if (job?.state !== 'running') return;
			const finished = await finishJob(
				this.deps.db,
				job,
				{ state: 'failed', code: 'internal', message: 'The reply failed on the server' },
				await fromCheckpoint(this.deps, job)
			);
			if (finished) this.endedHere(job, 'failed');
			this.deps.bus.end(jobId);
		} catch (error) {
			// Still failing: stale-job recovery ends it later.
			this.deps.log.error({ err: error, jobId }, 'could not end a crashed job');
		}
	}

	/** Tells the hook (push notifications) of a reply that ended outside `runJob`. */
	private endedHere(job: Job, state: 'failed') {
		this.deps.onReplyEnded?.(job, state, this.deps.bus.subscriberCount(job.id) > 0);
	}

	/** Stops a job if it runs in this process (a cancel relayed from another instance). */
	abortLocal(jobId: number) {
		this.running.get(jobId)?.controller.abort('cancel' satisfies StopReason);
	}

	/** Cancels a job of `userId`; resolves once it is in a final state. null: not this user's job. */
	cancel(userId: number, jobId: number) {
		const { db, bus, peers } = this.deps;
		return cancelJob(
			{
				db,
				bus,
				peers,
				instanceId: this.instanceId,
				fromCheckpoint: (job) => fromCheckpoint(this.deps, job),
				stopLocal: async (id) => {
					const run = this.running.get(id);
					if (!run) return false;
					run.controller.abort('cancel' satisfies StopReason);
					await run.done;
					return true;
				}
			},
			userId,
			jobId
		);
	}
}
