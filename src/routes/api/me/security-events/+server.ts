import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { listSecurityEvents } from '$lib/server/services/security-events';
import { parseBefore } from '$lib/server/security-events-http';

/** The signed-in user's own account activity, newest first. */
export const GET: RequestHandler = async ({ locals, url }) => {
	const before = parseBefore(url);
	if (before === null) return errorResponse(400, 'bad_request', 'before: must be an event id');
	return json({ events: await listSecurityEvents(getRuntime().db, locals.user!.id, before) });
};
