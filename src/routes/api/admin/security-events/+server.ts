import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { listSecurityEvents } from '$lib/server/services/security-events';
import { parseBefore } from '$lib/server/security-events-http';

/** Everyone's account activity, for the admin; others get the 404 every admin route gives them. */
export const GET: RequestHandler = async ({ locals, url }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const before = parseBefore(url);
	if (before === null) return errorResponse(400, 'bad_request', 'before: must be an event id');
	return json({ events: await listSecurityEvents(getRuntime().db, null, before) });
};
