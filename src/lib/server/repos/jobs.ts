import type { Executor } from '$lib/server/db/database';
import type { Job, JobState, JobTable } from '$lib/server/db/schema';
import type { Insertable, Updateable } from 'kysely';
import { ACTIVE_JOB_STATES } from '$lib/shared/dto';

export const ACTIVE_STATES: JobState[] = [...ACTIVE_JOB_STATES];

export function insertJob(db: Executor, values: Insertable<JobTable>): Promise<Job> {
	return db.insertInto('job').values(values).returningAll().executeTakeFirstOrThrow();
}

export function findJob(db: Executor, id: number): Promise<Job | undefined> {
	return db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findUserJob(db: Executor, userId: number, id: number): Promise<Job | undefined> {
	return db
		.selectFrom('job')
		.selectAll()
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
}

/** The job that answers a user message (the first, when it was regenerated). */
export function findJobForUserMessage(
	db: Executor,
	userMessageId: number
): Promise<Job | undefined> {
	return db
		.selectFrom('job')
		.selectAll()
		.where('user_message_id', '=', userMessageId)
		.orderBy('id')
		.executeTakeFirst();
}

export async function countActiveJobs(db: Executor, userId: number): Promise<number> {
	const row = await db
		.selectFrom('job')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('user_id', '=', userId)
		.where('state', 'in', ACTIVE_STATES)
		.executeTakeFirstOrThrow();
	return Number(row.n);
}

export function listActiveJobs(db: Executor, userId: number): Promise<Job[]> {
	return db
		.selectFrom('job')
		.selectAll()
		.where('user_id', '=', userId)
		.where('state', 'in', ACTIVE_STATES)
		.orderBy('id')
		.execute();
}

export function listActiveJobsInConversation(db: Executor, conversationId: number): Promise<Job[]> {
	return db
		.selectFrom('job')
		.selectAll()
		.where('conversation_id', '=', conversationId)
		.where('state', 'in', ACTIVE_STATES)
		.execute();
}

/** Queued jobs that may start now, oldest first. */
export function listRunnableJobs(db: Executor, now: number, limit: number): Promise<Job[]> {
	return db
		.selectFrom('job')
		.selectAll()
		.where('state', '=', 'queued')
		.where('run_after', '<=', now)
		.orderBy('id')
		.limit(limit)
		.execute();
}

/** How many jobs are in each state (states with none are absent). */
export async function countJobsByState(db: Executor): Promise<Map<JobState, number>> {
	const rows = await db
		.selectFrom('job')
		.select(['state', (eb) => eb.fn.countAll<number>().as('n')])
		.groupBy('state')
		.execute();
	return new Map(rows.map((r) => [r.state, Number(r.n)]));
}

/** Queued jobs that may start at `now`. */
export async function countRunnableJobs(db: Executor, now: number): Promise<number> {
	const row = await db
		.selectFrom('job')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('state', '=', 'queued')
		.where('run_after', '<=', now)
		.executeTakeFirstOrThrow();
	return Number(row.n);
}

/** Moves a job between states only if it is still in `from`: false when someone else got there first. */
export async function transitionJob(
	db: Executor,
	id: number,
	from: JobState,
	set: Updateable<JobTable>
): Promise<boolean> {
	const result = await db
		.updateTable('job')
		.set(set)
		.where('id', '=', id)
		.where('state', '=', from)
		.executeTakeFirst();
	return result.numUpdatedRows === 1n;
}

/**
 * Takes a queued job for a runner (state running, one more attempt): the claimed row, or
 * undefined if another runner got it first.
 */
export function claimJob(
	db: Executor,
	id: number,
	set: Pick<Updateable<JobTable>, 'claimed_by' | 'started_at' | 'heartbeat_at' | 'updated_at'>
): Promise<Job | undefined> {
	return db
		.updateTable('job')
		.set((eb) => ({ ...set, state: 'running', attempts: eb('attempts', '+', 1) }))
		.where('id', '=', id)
		.where('state', '=', 'queued')
		.returningAll()
		.executeTakeFirst();
}

export async function checkpointJob(
	db: Executor,
	id: number,
	set: Pick<
		Updateable<JobTable>,
		'partial_text' | 'partial_reasoning' | 'heartbeat_at' | 'updated_at'
	>
) {
	await db
		.updateTable('job')
		.set(set)
		.where('id', '=', id)
		.where('state', '=', 'running')
		.execute();
}

export function listRunningJobs(db: Executor, staleBefore: number | null): Promise<Job[]> {
	let query = db.selectFrom('job').selectAll().where('state', '=', 'running');
	if (staleBefore !== null) query = query.where('heartbeat_at', '<', staleBefore);
	return query.execute();
}
