import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getRuntime } from '$lib/server/runtime';
import { isSetupNeeded, login } from '$lib/server/services/accounts';
import { isTwoFactorRequired } from '$lib/server/services/two-factor';
import { setPendingLoginCookie, setSessionCookie } from '$lib/server/auth/session';
import { field, readForm, safeNext } from '$lib/server/forms';

export const load: PageServerLoad = async ({ locals, url }) => {
	if (locals.user) redirect(303, safeNext(url.searchParams.get('next'), url.origin));
	if (await isSetupNeeded(getRuntime().db)) redirect(303, '/setup');
	return {};
};

export const actions: Actions = {
	default: async ({ request, cookies, url, locals, setHeaders }) => {
		const data = await readForm(request);
		if (!data) return fail(400, { username: '', message: 'The form could not be read' });
		const username = field(data, 'username', 64);
		const { db, loginThrottle } = getRuntime();
		const result = await login(db, loginThrottle, {
			username,
			password: field(data, 'password'),
			ip: locals.clientIp,
			userAgent: request.headers.get('user-agent')
		});
		const secure = url.protocol === 'https:';
		if (!result.ok && result.code === 'second_factor') {
			setPendingLoginCookie(cookies, result.pendingToken, result.expiresAt, secure);
			const next = url.searchParams.get('next');
			redirect(303, `/login/code${next ? `?next=${encodeURIComponent(next)}` : ''}`);
		}
		if (!result.ok) {
			if (result.code === 'throttled') {
				setHeaders({ 'retry-after': String(result.retryAfterSeconds) });
				return fail(429, { username, message: result.message });
			}
			return fail(result.code === 'busy' ? 503 : 400, { username, message: result.message });
		}
		setSessionCookie(cookies, result.token, result.session.expiresAt, secure);
		// Signed in without a second factor while everyone must have one: enrolment first.
		if (await isTwoFactorRequired(db)) redirect(303, '/settings/two-factor');
		redirect(303, safeNext(url.searchParams.get('next'), url.origin));
	}
};
