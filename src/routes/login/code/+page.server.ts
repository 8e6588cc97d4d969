import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getRuntime } from '$lib/server/runtime';
import { completePendingLogin } from '$lib/server/services/two-factor';
import {
	clearPendingLoginCookie,
	pendingLoginCookieName,
	setSessionCookie
} from '$lib/server/auth/session';
import { field, readForm, safeNext } from '$lib/server/forms';

export const load: PageServerLoad = ({ locals, url, cookies }) => {
	if (locals.user) redirect(303, safeNext(url.searchParams.get('next'), url.origin));
	if (!cookies.get(pendingLoginCookieName(url.protocol === 'https:'))) redirect(303, '/login');
	return {};
};

export const actions: Actions = {
	default: async ({ request, cookies, url, locals, setHeaders }) => {
		const secure = url.protocol === 'https:';
		const data = await readForm(request);
		if (!data) return fail(400, { message: 'The form could not be read' });
		const result = await completePendingLogin(getRuntime(), {
			pendingToken: cookies.get(pendingLoginCookieName(secure)) ?? '',
			code: field(data, 'code', 64),
			ip: locals.clientIp,
			userAgent: request.headers.get('user-agent')
		});
		if (!result.ok) {
			if (result.code === 'throttled') {
				setHeaders({ 'retry-after': String(result.retryAfterSeconds) });
				return fail(429, { message: result.message });
			}
			if (result.code === 'expired' || result.code === 'not_enabled') {
				clearPendingLoginCookie(cookies, secure);
			}
			return fail(400, { message: result.message });
		}
		clearPendingLoginCookie(cookies, secure);
		setSessionCookie(cookies, result.token, result.session.expiresAt, secure);
		redirect(303, safeNext(url.searchParams.get('next'), url.origin));
	}
};
