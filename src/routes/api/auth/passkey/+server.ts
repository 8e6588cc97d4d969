import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { finishPasskeySignIn } from '$lib/server/services/passkeys';
import { setSessionCookie } from '$lib/server/auth/session';
import {
	PASSKEY_BODY_LIMIT_BYTES,
	SignInBody,
	requestRelyingParty
} from '$lib/server/passkey-http';

export const POST: RequestHandler = async (event) => {
	const body = await readJson(event.request, SignInBody, PASSKEY_BODY_LIMIT_BYTES);
	if (!body.ok) return body.response;
	const result = await finishPasskeySignIn(getRuntime().db, requestRelyingParty(event), {
		...(body.value as Pick<Parameters<typeof finishPasskeySignIn>[2], 'challengeId' | 'response'>),
		ip: event.locals.clientIp,
		userAgent: event.request.headers.get('user-agent')
	});
	if (!result.ok) return errorResponse(401, result.code, result.message);
	setSessionCookie(
		event.cookies,
		result.token,
		result.session.expiresAt,
		event.url.protocol === 'https:'
	);
	return json({ user: { username: result.user.username, role: result.user.role } });
};
