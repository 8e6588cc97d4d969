import type { RequestHandler } from './$types';
import { invalidateSession, clearSessionCookie } from '$lib/server/auth/session';
import { getRuntime } from '$lib/server/runtime';

export const POST: RequestHandler = async ({ locals, cookies, url }) => {
	if (locals.session) {
		const { db, streams } = getRuntime();
		await invalidateSession(db, locals.session.id);
		streams.endSession(locals.session.id);
	}
	clearSessionCookie(cookies, url.protocol === 'https:');
	return new Response(null, { status: 204, headers: { 'clear-site-data': '"cache", "storage"' } });
};
