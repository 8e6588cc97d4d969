// Cancelling a job wherever it is: running here (abort it; the run keeps the text so far), queued
// (end it now), or running on another instance (ask it through the relay; if it does not answer,
// end it from its last checkpoint).
import type { Database } from '$lib/server/db/database';
import type { Job } from '$lib/server/db/schema';
import type { JobBus } from '$lib/server/jobs/bus';
import { cancelQueuedJob, finishJob, type Produced } from '$lib/server/jobs/finish';
import * as jobs from '$lib/server/repos/jobs';
import { isFinalJobState } from '$lib/shared/dto';

/** How long another instance gets to stop a job it runs before it is ended from here. */
export const PEER_CANCEL_WAIT_MS = 5_000;
const SETTLE_POLL_MS = 50;

export interface CancelDeps {
	db: Database;
	bus: JobBus;
	instanceId: string;
	/** Other instances on the same database (PostgreSQL). */
	peers?: { requestCancel(jobId: number): void };
	/** The job's last checkpoint as its outcome (its tokens counted). */
	fromCheckpoint(job: Job): Promise<Produced>;
	/** Stops the job if it runs in this process; resolves once it ended. false: not running here. */
	stopLocal(jobId: number): Promise<boolean>;
}

async function settled(db: Database, jobId: number, timeoutMs: number): Promise<Job | null> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const job = await jobs.findJob(db, jobId);
		if (!job || isFinalJobState(job.state)) return job ?? null;
		if (Date.now() > deadline) return null;
		await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
	}
}

/** Cancels a job of `userId`; resolves once it is in a final state. null: not this user's job. */
export async function cancelJob(deps: CancelDeps, userId: number, jobId: number) {
	const { db, bus } = deps;
	const job = await jobs.findUserJob(db, userId, jobId);
	if (!job) return null;
	if (await deps.stopLocal(jobId)) {
		// Stopped here; the run wrote its final state.
	} else if (job.state === 'queued') {
		if (await cancelQueuedJob(db, job)) bus.end(jobId);
	} else if (job.state === 'running') {
		if (deps.peers && job.claimed_by !== deps.instanceId) {
			deps.peers.requestCancel(jobId);
			const done = await settled(db, jobId, PEER_CANCEL_WAIT_MS);
			if (done) return done;
		}
		// Its runner is gone (or did not answer): end it now from the last checkpoint.
		const current = (await jobs.findJob(db, jobId)) ?? job;
		await finishJob(db, current, { state: 'cancelled' }, await deps.fromCheckpoint(current));
		bus.end(jobId);
	}
	return (await jobs.findJob(db, jobId)) ?? null;
}
