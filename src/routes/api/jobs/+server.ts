import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { listActiveReplies } from '$lib/server/services/jobs';

/** The user's queued and running replies. */
export const GET: RequestHandler = async ({ locals }) =>
	json({ jobs: await listActiveReplies(getRuntime().db, locals.user!.id) });
