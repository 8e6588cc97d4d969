// A user's replies in progress, as the jobs routes show them. Every read carries the owner.
import type { Database } from '$lib/server/db/database';
import type { Job } from '$lib/server/db/schema';
import * as jobs from '$lib/server/repos/jobs';
import { toJobDto } from '$lib/server/services/dto';
import type { JobDto } from '$lib/shared/dto';

/** The user's queued and running replies, oldest first. */
export async function listActiveReplies(db: Database, userId: number): Promise<JobDto[]> {
	return (await jobs.listActiveJobs(db, userId)).map(toJobDto);
}

/** The user's job `id`, or undefined when there is none (or it is someone else's). */
export function findReplyJob(db: Database, userId: number, id: number): Promise<Job | undefined> {
	return jobs.findUserJob(db, userId, id);
}
