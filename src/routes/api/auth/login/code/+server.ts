import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { completePendingLogin } from '$lib/server/services/two-factor';
import {
	clearPendingLoginCookie,
	pendingLoginCookieName,
	setSessionCookie
} from '$lib/server/auth/session';

const CodeBody = z.object({ code: z.string().min(1, 'is required').max(64) });

/** The code step of a two-factor sign-in begun at /api/auth/login. */
export const POST: RequestHandler = async ({ request, cookies, url, locals }) => {
	const body = await readJson(request, CodeBody);
	if (!body.ok) return body.response;
	const secure = url.protocol === 'https:';
	const result = await completePendingLogin(getRuntime(), {
		pendingToken: cookies.get(pendingLoginCookieName(secure)) ?? '',
		code: body.value.code,
		ip: locals.clientIp,
		userAgent: request.headers.get('user-agent')
	});
	if (!result.ok) {
		if (result.code === 'throttled') {
			return errorResponse(429, result.code, result.message, {
				'retry-after': String(result.retryAfterSeconds)
			});
		}
		if (result.code !== 'wrong_code') clearPendingLoginCookie(cookies, secure);
		return errorResponse(401, result.code, result.message);
	}
	clearPendingLoginCookie(cookies, secure);
	setSessionCookie(cookies, result.token, result.session.expiresAt, secure);
	return json({ user: { username: result.user.username, role: result.user.role } });
};
