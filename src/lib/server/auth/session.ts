// Sessions in the Lucia design: the cookie holds a random token, the database only its SHA-256;
// expiry slides forward when a session is used in the second half of its life. A user holds at
// most MAX_SESSIONS_PER_USER; signing in once more ends the oldest.
import type { Cookies } from '@sveltejs/kit';
import type { Executor } from '$lib/server/db/database';
import type { Role } from '$lib/server/db/schema';
import { generateToken, hashToken } from '$lib/server/auth/tokens';
import {
	deleteSession,
	deleteSessionsBeyondNewest,
	findSessionWithUser,
	insertSession,
	updateSessionUse
} from '$lib/server/repos/sessions';

const SESSION_COOKIE = 'hearth_session';
// On HTTPS the cookie takes `__Host-`: browsers keep it only if Secure, Path=/ and host-only,
// so no other host under the same site can plant or shadow it.
const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;
export const MAX_SESSIONS_PER_USER = 20;
export const SESSION_LIFETIME_MS = 30 * 24 * 60 * 60_000;
export const SESSION_RENEW_WINDOW_MS = 15 * 24 * 60 * 60_000;
/** "Last seen" is written at most this often per session, not on every request. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;
const TOKEN_SHAPE = /^[a-z2-7]{32}$/;

export interface SessionUser {
	id: number;
	username: string;
	role: Role;
}

export interface SessionInfo {
	id: string;
	expiresAt: number;
}

export type SessionValidation =
	| { ok: true; session: SessionInfo; user: SessionUser; renewed: boolean; twoFactor: boolean }
	| { ok: false };

export async function createSession(
	db: Executor,
	userId: number,
	userAgent: string | null,
	now = Date.now()
): Promise<{ token: string; session: SessionInfo }> {
	const token = generateToken();
	const session = { id: hashToken(token), expiresAt: now + SESSION_LIFETIME_MS };
	await insertSession(db, {
		id: session.id,
		user_id: userId,
		expires_at: session.expiresAt,
		created_at: now,
		last_seen_at: now,
		user_agent: userAgent?.slice(0, 256) ?? null
	});
	await deleteSessionsBeyondNewest(db, userId, session.id, MAX_SESSIONS_PER_USER);
	return { token, session };
}

export async function validateSessionToken(
	db: Executor,
	token: string,
	now = Date.now()
): Promise<SessionValidation> {
	if (!TOKEN_SHAPE.test(token)) return { ok: false };
	const row = await findSessionWithUser(db, hashToken(token));
	if (!row) return { ok: false };
	if (now >= row.expires_at) {
		await deleteSession(db, row.id);
		return { ok: false };
	}
	let expiresAt = row.expires_at;
	const renewed = now >= expiresAt - SESSION_RENEW_WINDOW_MS;
	if (renewed) expiresAt = now + SESSION_LIFETIME_MS;
	const seen = now - (row.last_seen_at ?? row.created_at) >= LAST_SEEN_RESOLUTION_MS;
	if (renewed || seen) await updateSessionUse(db, row.id, { expiresAt, lastSeenAt: now });
	return {
		ok: true,
		renewed,
		// An authenticator app, or a passkey (possession plus the device's user verification).
		twoFactor: row.totp_confirmed_at != null || Boolean(row.has_passkey),
		session: { id: row.id, expiresAt },
		user: { id: row.user_id, username: row.username, role: row.role }
	};
}

export function invalidateSession(db: Executor, sessionId: string): Promise<void> {
	return deleteSession(db, sessionId);
}

export function sessionCookieName(secure: boolean): string {
	return secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export function setSessionCookie(
	cookies: Cookies,
	token: string,
	expiresAt: number,
	secure: boolean
) {
	cookies.set(sessionCookieName(secure), token, {
		httpOnly: true,
		sameSite: 'lax',
		secure,
		path: '/',
		expires: new Date(expiresAt)
	});
}

export function clearSessionCookie(cookies: Cookies, secure: boolean) {
	cookies.delete(sessionCookieName(secure), { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

// The code step of a two-factor sign-in: a short-lived token that is not a session (it opens
// nothing but the code form), in its own HttpOnly cookie.
const PENDING_COOKIE = 'hearth_pending_login';

export function pendingLoginCookieName(secure: boolean): string {
	return secure ? `__Host-${PENDING_COOKIE}` : PENDING_COOKIE;
}

export function setPendingLoginCookie(
	cookies: Cookies,
	token: string,
	expiresAt: number,
	secure: boolean
) {
	cookies.set(pendingLoginCookieName(secure), token, {
		httpOnly: true,
		sameSite: 'strict',
		secure,
		path: '/',
		expires: new Date(expiresAt)
	});
}

export function clearPendingLoginCookie(cookies: Cookies, secure: boolean) {
	cookies.delete(pendingLoginCookieName(secure), {
		httpOnly: true,
		sameSite: 'strict',
		secure,
		path: '/'
	});
}
