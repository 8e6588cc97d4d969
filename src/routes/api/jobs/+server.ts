import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { listActiveJobs } from '$lib/server/repos/jobs';
import { toJobDto } from '$lib/server/services/dto';

/** The user's queued and running replies. */
export const GET: RequestHandler = async ({ locals }) => {
	const jobs = await listActiveJobs(getRuntime().db, locals.user!.id);
	return json({ jobs: jobs.map(toJobDto) });
};
