import { z } from 'zod';
import type { RequestHandler } from './$types';
import { failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { login } from '$lib/server/services/accounts';
import { setSessionCookie } from '$lib/server/auth/session';

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
	if (!result.ok) return failureResponse(result);
	setSessionCookie(cookies, result.token, result.session.expiresAt, url.protocol === 'https:');
	return json({ user: { username: result.user.username, role: result.user.role } });
};
