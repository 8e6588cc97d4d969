import type { RequestHandler } from './$types';
import { errorResponse } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { findReplyJob } from '$lib/server/services/jobs';
import { jobEventResponse } from '$lib/server/jobs/events';
import { tooManyStreams } from '$lib/server/jobs/streams';

export const GET: RequestHandler = async ({ params, locals, request, url }) => {
	const id = parseId(params.id);
	const { db, bus, streams } = getRuntime();
	const job = id && (await findReplyJob(db, locals.user!.id, id));
	if (!job) return errorResponse(404, 'not_found', 'No such job');
	const slot = streams.open(locals.user!.id, locals.session?.id ?? null);
	if (!slot.ok) return tooManyStreams(slot.retryAfterSeconds);
	const lastEventId = request.headers.get('last-event-id') ?? url.searchParams.get('lastEventId');
	return jobEventResponse({ db, bus }, job, lastEventId, slot.options);
};
