import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getRuntime } from '$lib/server/runtime';
import { requireUser } from '$lib/server/guards';
import { changePassword } from '$lib/server/services/accounts';
import { setSessionCookie } from '$lib/server/auth/session';
import { field, readForm } from '$lib/server/forms';

export const load: PageServerLoad = ({ locals, url }) => {
	requireUser(locals, url);
	return {};
};

export const actions: Actions = {
	password: async ({ request, locals, url, cookies, setHeaders }) => {
		const user = requireUser(locals, url);
		const data = await readForm(request);
		if (!data) return fail(400, { message: 'The form could not be read' });
		const newPassword = field(data, 'newPassword');
		if (newPassword !== field(data, 'confirm')) {
			return fail(400, { message: 'The two new passwords do not match' });
		}
		const { db, loginThrottle } = getRuntime();
		const result = await changePassword(
			db,
			loginThrottle,
			user,
			{ currentPassword: field(data, 'currentPassword'), newPassword },
			request.headers.get('user-agent')
		);
		if (!result.ok) {
			if (result.code === 'throttled') {
				setHeaders({ 'retry-after': String(result.retryAfterSeconds) });
				return fail(429, { message: result.message });
			}
			return fail(result.code === 'busy' ? 503 : 400, { message: result.message });
		}
		setSessionCookie(cookies, result.token, result.session.expiresAt, url.protocol === 'https:');
		getRuntime().streams.endUser(user.id, result.session.id);
		return { ok: true, message: 'Password changed. Every other session has been signed out.' };
	}
};
