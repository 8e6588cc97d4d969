import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import {
	createSession,
	invalidateSession,
	SESSION_LIFETIME_MS,
	SESSION_RENEW_WINDOW_MS,
	validateSessionToken
} from '$lib/server/auth/session';
import { hashToken } from '$lib/server/auth/tokens';

describe.each(DIALECTS)('sessions on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		const user = await t.db
			.insertInto('user')
			.values({ username: 'u', password_hash: 'x', role: 'user', created_at: 0, updated_at: 0 })
			.returning('id')
			.executeTakeFirstOrThrow();
		userId = user.id;
	});
	afterAll(() => t.close());

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
});
