import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getRuntime } from '$lib/server/runtime';
import { clearSessionCookie, invalidateSession } from '$lib/server/auth/session';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
	default: async ({ locals, cookies, url, setHeaders }) => {
		if (locals.session) {
			const { db, streams } = getRuntime();
			await invalidateSession(db, locals.session.id);
			streams.endSession(locals.session.id);
		}
		clearSessionCookie(cookies, url.protocol === 'https:');
		setHeaders({ 'clear-site-data': '"cache", "storage"' });
		redirect(303, '/login');
	}
};
