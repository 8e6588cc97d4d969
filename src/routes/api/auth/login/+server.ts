import { z } from 'zod';
import type { RequestHandler } from './$types';
import { failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { login } from '$lib/server/services/accounts';
import { setPendingLoginCookie, setSessionCookie } from '$lib/server/auth/session';

const LoginBody = z.object({
	username: z.string().min(1, 'is required').max(64),
	password: z.string().min(1, 'is required').max(1024)
});

export const POST: RequestHandler = async ({ request, cookies, url, locals }) => {
	const body = await readJson(request, LoginBody);
	if (!body.ok) return body.response;
	const { db, loginThrottle } = getRuntime();
	const result = await login(db, loginThrottle, {
		...body.value,
		ip: locals.clientIp,
		userAgent: request.headers.get('user-agent')
	});
	const secure = url.protocol === 'https:';
	if (!result.ok && result.code === 'second_factor') {
		// Not signed in yet: POST the code to /api/auth/login/code with this cookie.
		setPendingLoginCookie(cookies, result.pendingToken, result.expiresAt, secure);
		return json({ secondFactor: true, message: result.message });
	}
	if (!result.ok) return failureResponse(result);
	setSessionCookie(cookies, result.token, result.session.expiresAt, secure);
	return json({ user: { username: result.user.username, role: result.user.role } });
};
