import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { hashToken } from '$lib/server/auth/tokens';
import type { SessionUser } from '$lib/server/auth/session';
import {
	authenticateApiKey,
	createApiKey,
	LAST_USED_RESOLUTION_MS,
	listAllApiKeys,
	MAX_API_KEYS_PER_USER,
	listApiKeys,
	revokeApiKey
} from '$lib/server/services/api-keys';
import { listSecurityEvents } from '$lib/server/services/security-events';

describe.each(DIALECTS)('personal API keys on %s', (dialect) => {
	let t: TestDatabase;
	let alice: SessionUser;
	let bob: SessionUser;
	let carol: SessionUser;
	const admin: SessionUser = { id: 0, username: 'root', role: 'admin' };
	const NOW = 1_800_000_000_000;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		const [a, b, r, c] = (await insertUsers(t.db, 'alice', 'bob', 'root', 'carol')) as number[];
		alice = { id: a!, username: 'alice', role: 'user' };
		carol = { id: c!, username: 'carol', role: 'user' };
		bob = { id: b!, username: 'bob', role: 'user' };
		admin.id = r!;
	});
	afterAll(() => t.close());

	it('shows the secret once and stores only its SHA-256 and a display prefix', async () => {
		const created = await createApiKey(t.db, alice, { name: ' laptop script ' }, NOW);
		if (!created.ok) throw new Error(created.message);
		expect(created.secret).toMatch(/^hth_[A-Za-z0-9_-]{43}$/);
		expect(created.key).toEqual({
			id: expect.any(Number),
			name: 'laptop script',
			prefix: created.secret.slice(0, 12),
			createdAt: NOW,
			expiresAt: null,
			lastUsedAt: null,
			rateLimitPerMinute: null,
			saveHistory: false
		});
		const rows = await t.db.selectFrom('api_token').selectAll().execute();
		const stored = JSON.stringify(rows);
		expect(stored).not.toContain(created.secret);
		expect(stored).not.toContain(created.secret.slice(4));
		expect(rows[0]!.token_hash).toBe(hashToken(created.secret));
		expect(JSON.stringify(await listApiKeys(t.db, alice.id))).not.toContain(created.secret);
		const events = await listSecurityEvents(t.db, alice.id);
		expect(events[0]).toMatchObject({ kind: 'api_key_created', detail: 'laptop script' });
	});

	it('refuses a bad name, a past expiry and a bad rate', async () => {
		for (const input of [
			{ name: '' },
			{ name: 'x'.repeat(65) },
			{ name: 'old', expiresAt: NOW - 1 },
			{ name: 'rate', rateLimitPerMinute: 0 },
			{ name: 'rate', rateLimitPerMinute: 1.5 }
		]) {
			expect(await createApiKey(t.db, alice, input, NOW)).toMatchObject({
				ok: false,
				code: 'invalid'
			});
		}
	});

	it('authenticates a live key, stamps its last use at most once a minute', async () => {
		const created = await createApiKey(t.db, bob, { name: 'bot', rateLimitPerMinute: 5 }, NOW);
		if (!created.ok) throw new Error(created.message);
		const auth = await authenticateApiKey(t.db, created.secret, NOW + 1000);
		expect(auth).toMatchObject({
			ok: true,
			user: { id: bob.id, username: 'bob', role: 'user' },
			key: { id: created.key.id, name: 'bot', rateLimitPerMinute: 5, saveHistory: false }
		});
		await authenticateApiKey(t.db, created.secret, NOW + 2000);
		const [key] = (await listApiKeys(t.db, bob.id)).filter((k) => k.id === created.key.id);
		expect(key!.lastUsedAt).toBe(NOW + 1000);
		await authenticateApiKey(t.db, created.secret, NOW + 1000 + LAST_USED_RESOLUTION_MS);
		const [later] = (await listApiKeys(t.db, bob.id)).filter((k) => k.id === created.key.id);
		expect(later!.lastUsedAt).toBe(NOW + 1000 + LAST_USED_RESOLUTION_MS);
		// 32 random bytes end in one of 16 base64url characters, 'A' among them: a tampered copy must
		// really differ, or one run in 16 "tampers" nothing and the real key authenticates.
		const tampered = created.secret.slice(0, -1) + (created.secret.endsWith('A') ? 'E' : 'A');
		expect(tampered).not.toBe(created.secret);
		expect(await authenticateApiKey(t.db, tampered, NOW)).toMatchObject({
			ok: false,
			code: 'invalid_api_key'
		});
		expect(await authenticateApiKey(t.db, 'sk-nothing', NOW)).toMatchObject({ ok: false });
	});

	it('refuses an expired key', async () => {
		const created = await createApiKey(t.db, bob, { name: 'brief', expiresAt: NOW + 10 }, NOW);
		if (!created.ok) throw new Error(created.message);
		expect((await authenticateApiKey(t.db, created.secret, NOW + 5)).ok).toBe(true);
		expect(await authenticateApiKey(t.db, created.secret, NOW + 10)).toMatchObject({
			ok: false,
			message: 'This API key has expired.'
		});
	});

	it("answers not_found for another user's key; the owner and the admin can revoke", async () => {
		const created = await createApiKey(t.db, alice, { name: 'to revoke' }, NOW);
		if (!created.ok) throw new Error(created.message);
		expect(await revokeApiKey(t.db, bob, created.key.id)).toMatchObject({
			ok: false,
			code: 'not_found'
		});
		// A user cannot claim the admin's reach.
		expect(await revokeApiKey(t.db, bob, created.key.id, { asAdmin: true })).toMatchObject({
			ok: false
		});
		expect((await authenticateApiKey(t.db, created.secret, NOW)).ok).toBe(true);
		expect(await revokeApiKey(t.db, alice, created.key.id)).toEqual({ ok: true });
		expect(await authenticateApiKey(t.db, created.secret, NOW)).toMatchObject({ ok: false });
		expect(await revokeApiKey(t.db, alice, created.key.id)).toMatchObject({ ok: false });

		const other = await createApiKey(t.db, bob, { name: 'admin revokes' }, NOW);
		if (!other.ok) throw new Error(other.message);
		const all = await listAllApiKeys(t.db);
		expect(all.find((k) => k.id === other.key.id)).toMatchObject({ username: 'bob' });
		expect(all.some((k) => k.id === created.key.id)).toBe(false);
		expect(await revokeApiKey(t.db, admin, other.key.id, { asAdmin: true })).toEqual({
			ok: true
		});
		const events = await listSecurityEvents(t.db, bob.id);
		expect(events[0]).toMatchObject({ kind: 'api_key_revoked', username: 'root (admin)' });
	});

	it('holds the key cap when many creations race', async () => {
		const burst = MAX_API_KEYS_PER_USER + 10;
		const results = await Promise.all(
			Array.from({ length: burst }, (_, i) => createApiKey(t.db, carol, { name: `k${i}` }, NOW))
		);
		expect(results.filter((r) => r.ok)).toHaveLength(MAX_API_KEYS_PER_USER);
		expect(results.filter((r) => !r.ok)).toEqual(
			Array.from({ length: 10 }, () => expect.objectContaining({ code: 'too_many' }))
		);
		expect(await listApiKeys(t.db, carol.id)).toHaveLength(MAX_API_KEYS_PER_USER);
	});
});
