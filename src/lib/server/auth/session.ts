// Sessions in the Lucia design: the cookie holds a random token, the database only its SHA-256;
// expiry slides forward when a session is used in the second half of its life.
import type { Cookies } from '@sveltejs/kit';
import type { Executor } from '$lib/server/db/database';
import type { Role } from '$lib/server/db/schema';
import { generateToken, hashToken } from '$lib/server/auth/tokens';
import {
	deleteSession,
	findSessionWithUser,
	insertSession,
	updateSessionExpiry
} from '$lib/server/repos/sessions';

export const SESSION_COOKIE = 'hearth_session';
export const SESSION_LIFETIME_MS = 30 * 24 * 60 * 60_000;
export const SESSION_RENEW_WINDOW_MS = 15 * 24 * 60 * 60_000;
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
	{ ok: true; session: SessionInfo; user: SessionUser; renewed: boolean } | { ok: false };

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
		user_agent: userAgent?.slice(0, 256) ?? null
	});
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
	if (renewed) {
		expiresAt = now + SESSION_LIFETIME_MS;
		await updateSessionExpiry(db, row.id, expiresAt);
	}
	return {
		ok: true,
		renewed,
		session: { id: row.id, expiresAt },
		user: { id: row.user_id, username: row.username, role: row.role }
	};
}

export function invalidateSession(db: Executor, sessionId: string): Promise<void> {
	return deleteSession(db, sessionId);
}

export function setSessionCookie(
	cookies: Cookies,
	token: string,
	expiresAt: number,
	secure: boolean
) {
	cookies.set(SESSION_COOKIE, token, {
		httpOnly: true,
		sameSite: 'lax',
		secure,
		path: '/',
		expires: new Date(expiresAt)
	});
}

export function clearSessionCookie(cookies: Cookies, secure: boolean) {
	cookies.delete(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
