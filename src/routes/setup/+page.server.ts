import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getRuntime } from '$lib/server/runtime';
import { isSetupNeeded, setupAdmin } from '$lib/server/services/accounts';
import { setSessionCookie } from '$lib/server/auth/session';
import { field, readForm } from '$lib/server/forms';
import { failureStatus } from '$lib/server/http';

export const load: PageServerLoad = async () => {
	if (!(await isSetupNeeded(getRuntime().db))) redirect(303, '/login');
	return {};
};

export const actions: Actions = {
	default: async ({ request, cookies, url }) => {
		const data = await readForm(request);
		if (!data) return fail(400, { username: '', message: 'The form could not be read' });
		const username = field(data, 'username', 64);
		const password = field(data, 'password');
		if (password !== field(data, 'confirm')) {
			return fail(400, { username, message: 'The two passwords do not match' });
		}
		const result = await setupAdmin(
			getRuntime().db,
			{ username, password },
			request.headers.get('user-agent')
		);
		if (!result.ok) {
			return fail(failureStatus(result.code), { username, message: result.message });
		}
		setSessionCookie(cookies, result.token, result.session.expiresAt, url.protocol === 'https:');
		redirect(303, '/');
	}
};
