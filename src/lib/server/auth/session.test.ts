import type { Cookies } from '@sveltejs/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import {
	clearSessionCookie,
	createSession,
	invalidateSession,
	LAST_SEEN_RESOLUTION_MS,
	MAX_SESSIONS_PER_USER,
	sessionCookieName,
	SESSION_LIFETIME_MS,
	SESSION_RENEW_WINDOW_MS,
	setSessionCookie,
	validateSessionToken
} from '$lib/server/auth/session';
import { hashToken } from '$lib/server/auth/tokens';

describe.each(DIALECTS)('sessions on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId] = (await insertUsers(t.db, 'u')) as [number];
	});
	afterAll(() => t.close());

	it('hashes tokens as SHA-256 in lowercase hex (what every stored session and key holds)', () => {
		expect(hashToken('abc')).toBe(
			'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
		);
		expect(hashToken('abcdefghijklmnopqrstuvwxyz234567')).toBe(
			'84cb29b2c78b393c0d30a90d5a9f670267d02d9ec3743fc1800acff8b03bac15'
		);
	});

	it('stores only the hash of the token', async () => {
		const { token, session } = await createSession(t.db, userId, 'ua');
		expect(session.id).toBe(hashToken(token));
		const rows = await t.db.selectFrom('session').select('id').execute();
		expect(rows.map((r) => r.id)).not.toContain(token);
		expect(await validateSessionToken(t.db, token)).toMatchObject({ ok: true, renewed: false });
	});

	it('slides the expiry forward in the second half of its life', async () => {
		const start = 1_000_000;
		const { token } = await createSession(t.db, userId, null, start);
		const later = start + SESSION_LIFETIME_MS - SESSION_RENEW_WINDOW_MS + 1;
		const result = await validateSessionToken(t.db, token, later);
		expect(result).toMatchObject({ ok: true, renewed: true });
		if (result.ok) expect(result.session.expiresAt).toBe(later + SESSION_LIFETIME_MS);
	});

	it('rejects and deletes an expired session', async () => {
		const { token, session } = await createSession(t.db, userId, null, 0);
		expect(await validateSessionToken(t.db, token, SESSION_LIFETIME_MS)).toEqual({ ok: false });
		const row = await t.db
			.selectFrom('session')
			.where('id', '=', session.id)
			.selectAll()
			.executeTakeFirst();
		expect(row).toBeUndefined();
	});

	it('rejects malformed, forged and logged-out tokens', async () => {
		for (const bad of ['', 'x', '%%%', 'A'.repeat(32), 'a'.repeat(10_000), '\u0000'.repeat(32)]) {
			expect(await validateSessionToken(t.db, bad)).toEqual({ ok: false });
		}
		expect(await validateSessionToken(t.db, 'abcdefghijklmnopqrstuvwxyz234567')).toEqual({
			ok: false
		});
		const { token, session } = await createSession(t.db, userId, null);
		await invalidateSession(t.db, session.id);
		expect(await validateSessionToken(t.db, token)).toEqual({ ok: false });
	});

	it('answers each token with its own user, every time, and a revoked one fails on the next lookup', async () => {
		const [mineId, otherId] = (await insertUsers(t.db, 'mine', 'theirs')) as [number, number];
		const mine = await createSession(t.db, mineId, null);
		const theirs = await createSession(t.db, otherId, null);
		for (let i = 0; i < 3; i++) {
			expect(await validateSessionToken(t.db, mine.token)).toMatchObject({
				ok: true,
				user: { id: mineId, username: 'mine' }
			});
			expect(await validateSessionToken(t.db, theirs.token)).toMatchObject({
				ok: true,
				user: { id: otherId, username: 'theirs' }
			});
		}
		await invalidateSession(t.db, theirs.session.id);
		expect(await validateSessionToken(t.db, theirs.token)).toEqual({ ok: false });
		expect(await validateSessionToken(t.db, mine.token)).toMatchObject({ ok: true });
	});

	it('records when a session was last used, writing at most once a minute', async () => {
		const start = 2_000_000;
		const { token, session } = await createSession(t.db, userId, null, start);
		const lastSeen = async () =>
			Number(
				(
					await t.db
						.selectFrom('session')
						.select('last_seen_at')
						.where('id', '=', session.id)
						.executeTakeFirstOrThrow()
				).last_seen_at
			);
		expect(await lastSeen()).toBe(start);
		await validateSessionToken(t.db, token, start + LAST_SEEN_RESOLUTION_MS - 1);
		expect(await lastSeen()).toBe(start);
		await validateSessionToken(t.db, token, start + LAST_SEEN_RESOLUTION_MS);
		expect(await lastSeen()).toBe(start + LAST_SEEN_RESOLUTION_MS);
	});

	it(`keeps at most ${MAX_SESSIONS_PER_USER} sessions per user, ending the oldest`, async () => {
		const [other] = await insertUsers(t.db, 'other');
		const theirs = await createSession(t.db, other!, null);
		await t.db.deleteFrom('session').where('user_id', '=', userId).execute();
		const start = 5_000_000;
		const tokens: string[] = [];
		for (let i = 0; i < MAX_SESSIONS_PER_USER + 5; i++) {
			tokens.push((await createSession(t.db, userId, null, start + i)).token);
		}
		const valid = await Promise.all(
			tokens.map(async (token) => (await validateSessionToken(t.db, token, start)).ok)
		);
		expect(valid.indexOf(true)).toBe(5);
		expect(valid.filter(Boolean)).toHaveLength(MAX_SESSIONS_PER_USER);
		expect((await validateSessionToken(t.db, theirs.token)).ok).toBe(true);
		// Sessions made in the same millisecond: the one just made is never the one ended.
		const same = await createSession(t.db, userId, null, start);
		expect((await validateSessionToken(t.db, same.token, start)).ok).toBe(true);
		const count = await t.db
			.selectFrom('session')
			.select((eb) => eb.fn.countAll<number>().as('n'))
			.where('user_id', '=', userId)
			.executeTakeFirstOrThrow();
		expect(Number(count.n)).toBe(MAX_SESSIONS_PER_USER);
	});
});

describe('session cookie', () => {
	function recordingCookies() {
		const calls: { op: string; name: string; options: Record<string, unknown> }[] = [];
		const cookies = {
			set: (name: string, _value: string, options: Record<string, unknown>) =>
				calls.push({ op: 'set', name, options }),
			delete: (name: string, options: Record<string, unknown>) =>
				calls.push({ op: 'delete', name, options })
		} as unknown as Cookies;
		return { cookies, calls };
	}

	it('takes the __Host- prefix with Secure on HTTPS and keeps the plain name on http', () => {
		expect(sessionCookieName(true)).toBe('__Host-hearth_session');
		expect(sessionCookieName(false)).toBe('hearth_session');
		for (const secure of [true, false]) {
			const { cookies, calls } = recordingCookies();
			setSessionCookie(cookies, 'token', Date.now() + 1000, secure);
			clearSessionCookie(cookies, secure);
			for (const call of calls) {
				expect(call.name).toBe(sessionCookieName(secure));
				// What browsers require of a __Host- cookie: Secure, Path=/, no Domain.
				expect(call.options).toMatchObject({ secure, path: '/', httpOnly: true });
				expect(call.options).not.toHaveProperty('domain');
			}
		}
	});
});
