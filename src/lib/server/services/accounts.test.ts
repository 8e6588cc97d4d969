import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import {
	LoginThrottle,
	PASSWORD_CHECKS_PER_USER,
	SIGN_INS_PER_ACCOUNT
} from '$lib/server/auth/login-throttle';
import { validateSessionToken } from '$lib/server/auth/session';
import {
	acceptInvite,
	addUser,
	changePassword,
	createInvite,
	isSetupNeeded,
	login,
	removeUser,
	setPassword,
	setupAdmin,
	unlockUser
} from '$lib/server/services/accounts';
import { authenticateApiKey, createApiKey } from '$lib/server/services/api-keys';

const UA = 'vitest';
const PASSWORD = 'correct horse';

describe.each(DIALECTS)('accounts on %s', (dialect) => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
	});
	afterAll(() => t.close());

	const signIn = (
		username: string,
		password: string,
		throttle = new LoginThrottle(t.db),
		ip = '1.2.3.4'
	) => login(t.db, throttle, { username, password, ip, userAgent: UA });
	const codes = (results: { ok: boolean; code?: string }[]) => {
		const counts: Record<string, number> = {};
		for (const r of results)
			counts[r.ok ? 'ok' : r.code!] = (counts[r.ok ? 'ok' : r.code!] ?? 0) + 1;
		return counts;
	};

	it('creates exactly one admin when two setups race', async () => {
		expect(await isSetupNeeded(t.db)).toBe(true);
		const results = await Promise.all([
			setupAdmin(t.db, { username: 'Admin', password: PASSWORD }, UA),
			setupAdmin(t.db, { username: 'other', password: PASSWORD }, UA)
		]);
		const ok = results.filter((r) => r.ok);
		expect(ok).toHaveLength(1);
		expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, code: 'setup_done' });
		expect(await isSetupNeeded(t.db)).toBe(false);
		const again = await setupAdmin(t.db, { username: 'late', password: PASSWORD }, UA);
		expect(again).toMatchObject({ ok: false, code: 'setup_done' });
	});

	it('signs in with the right password, case-insensitive username', async () => {
		const first = await signIn('admin', PASSWORD);
		const winner = first.ok ? 'admin' : 'other';
		const result = await signIn(winner.toUpperCase(), PASSWORD);
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		const session = await validateSessionToken(t.db, result.token);
		expect(session).toMatchObject({ ok: true, user: { username: winner, role: 'admin' } });
	});

	it('answers an unknown user exactly like a wrong password', async () => {
		await addUser(t.db, { username: 'carol', password: PASSWORD, role: 'user' });
		const wrong = await signIn('carol', 'not the password');
		const unknown = await signIn('nobody-here', 'not the password');
		expect(wrong).toEqual(unknown);
		expect(wrong).toMatchObject({ ok: false, code: 'invalid_credentials' });
	});

	it('throttles an account after repeated failures, even with the right password', async () => {
		const throttle = new LoginThrottle(t.db);
		await addUser(t.db, { username: 'dave', password: PASSWORD, role: 'user' });
		for (let i = 0; i < SIGN_INS_PER_ACCOUNT.limit; i++) {
			expect(await signIn('dave', 'wrong', throttle, `10.0.0.${i}`)).toMatchObject({
				code: 'invalid_credentials'
			});
		}
		const blocked = await signIn('dave', PASSWORD, throttle, '10.0.0.99');
		expect(blocked).toMatchObject({ ok: false, code: 'throttled' });
		if (!blocked.ok && blocked.code === 'throttled') {
			expect(blocked.retryAfterSeconds).toBeGreaterThan(0);
		}
		expect(await signIn('carol', PASSWORD, throttle, '10.0.0.99')).toMatchObject({ ok: true });
		expect(await unlockUser(t.db, throttle, 'DAVE')).toEqual({ ok: true });
		expect(await signIn('dave', PASSWORD, throttle, '10.0.0.99')).toMatchObject({ ok: true });
		expect(await unlockUser(t.db, throttle, 'ghost')).toMatchObject({ code: 'not_found' });
	});

	it('70 concurrent sign-ins for one account verify 5 passwords and never let the right one in', async () => {
		await addUser(t.db, { username: 'target', password: PASSWORD, role: 'user' });
		const throttle = new LoginThrottle(t.db);
		const results = await Promise.all(
			Array.from({ length: 70 }, (_, i) =>
				signIn('target', i === 50 ? PASSWORD : `guess-${i}`, throttle, `10.7.${i}.1`)
			)
		);
		// Every verified password shows as ok or invalid_credentials; the rest were never checked.
		expect(codes(results)).toEqual({
			invalid_credentials: SIGN_INS_PER_ACCOUNT.limit,
			throttled: 70 - SIGN_INS_PER_ACCOUNT.limit
		});
		const late = await signIn('target', PASSWORD, throttle, '10.8.0.1');
		expect(late).toMatchObject({ ok: false, code: 'throttled' });
		if (!late.ok && late.code === 'throttled') {
			expect(late.retryAfterSeconds).toBeGreaterThan(0);
			expect(late.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);
		}
	});

	it('rejects bad usernames and short passwords with a readable reason', async () => {
		expect(
			await addUser(t.db, { username: 'has space', password: PASSWORD, role: 'user' })
		).toMatchObject({
			ok: false,
			code: 'invalid'
		});
		const short = await addUser(t.db, { username: 'erin', password: 'short', role: 'user' });
		expect(short).toMatchObject({ ok: false, code: 'invalid' });
		expect(!short.ok && short.message).toMatch(/at least 8/);
		expect(
			await addUser(t.db, { username: 'CAROL', password: PASSWORD, role: 'user' })
		).toMatchObject({
			ok: false,
			code: 'username_taken'
		});
	});

	it('ends every other session when the password changes', async () => {
		await addUser(t.db, { username: 'frank', password: PASSWORD, role: 'user' });
		const a = await signIn('frank', PASSWORD);
		const b = await signIn('frank', PASSWORD);
		if (!a.ok || !b.ok) throw new Error('sign-in failed');
		const wrong = await changePassword(
			t.db,
			new LoginThrottle(t.db),
			a.user,
			{ currentPassword: 'nope', newPassword: 'new password!' },
			UA
		);
		expect(wrong).toMatchObject({ ok: false, code: 'wrong_password' });
		const changed = await changePassword(
			t.db,
			new LoginThrottle(t.db),
			a.user,
			{ currentPassword: PASSWORD, newPassword: 'new password!' },
			UA
		);
		expect(changed.ok).toBe(true);
		expect(await validateSessionToken(t.db, a.token)).toEqual({ ok: false });
		expect(await validateSessionToken(t.db, b.token)).toEqual({ ok: false });
		if (changed.ok) expect((await validateSessionToken(t.db, changed.token)).ok).toBe(true);
		expect(await signIn('frank', PASSWORD)).toMatchObject({ code: 'invalid_credentials' });
		expect(await signIn('frank', 'new password!')).toMatchObject({ ok: true });
	});

	it('keeps API keys working across a password change (sessions end, keys stay)', async () => {
		await addUser(t.db, { username: 'grace', password: PASSWORD, role: 'user' });
		const session = await signIn('grace', PASSWORD);
		if (!session.ok) throw new Error('sign-in failed');
		const key = await createApiKey(t.db, session.user, { name: 'backup script' });
		if (!key.ok) throw new Error(key.message);
		const changed = await changePassword(
			t.db,
			new LoginThrottle(t.db),
			session.user,
			{ currentPassword: PASSWORD, newPassword: 'another password' },
			UA
		);
		expect(changed.ok).toBe(true);
		expect(await validateSessionToken(t.db, session.token)).toEqual({ ok: false });
		expect(await authenticateApiKey(t.db, key.secret)).toMatchObject({
			ok: true,
			key: { id: key.key.id, name: 'backup script' }
		});
	});

	it('40 concurrent guesses at the current password: 5 are checked, then the right one waits', async () => {
		await addUser(t.db, { username: 'gus', password: PASSWORD, role: 'user' });
		const session = await signIn('gus', PASSWORD);
		if (!session.ok) throw new Error('sign-in failed');
		const throttle = new LoginThrottle(t.db);
		const attempt = (currentPassword: string) =>
			changePassword(
				t.db,
				throttle,
				session.user,
				{ currentPassword, newPassword: 'stolen!!' },
				UA
			);
		const results = await Promise.all(Array.from({ length: 40 }, (_, i) => attempt(`guess-${i}`)));
		expect(codes(results)).toEqual({
			wrong_password: PASSWORD_CHECKS_PER_USER.limit,
			throttled: 40 - PASSWORD_CHECKS_PER_USER.limit
		});
		expect(await attempt(PASSWORD)).toMatchObject({ ok: false, code: 'throttled' });
		expect((await validateSessionToken(t.db, session.token)).ok).toBe(true);
		expect(await unlockUser(t.db, throttle, 'gus')).toEqual({ ok: true });
		expect(await attempt(PASSWORD)).toMatchObject({ ok: true });
	});

	it('sets a password from the CLI path and ends sessions', async () => {
		const before = await signIn('carol', PASSWORD);
		if (!before.ok) throw new Error('sign-in failed');
		expect(await setPassword(t.db, 'carol', 'another pass')).toEqual({ ok: true });
		expect(await validateSessionToken(t.db, before.token)).toEqual({ ok: false });
		expect(await setPassword(t.db, 'ghost', 'another pass')).toMatchObject({ code: 'not_found' });
	});

	it('uses an invite once, even when two people race for it', async () => {
		const admin = { id: 1, username: 'x', role: 'admin' as const };
		const adminRow = await t.db
			.selectFrom('user')
			.select('id')
			.where('role', '=', 'admin')
			.executeTakeFirstOrThrow();
		admin.id = adminRow.id;
		const invite = await createInvite(t.db, admin, 'user');
		const results = await Promise.all([
			acceptInvite(t.db, invite.token, { username: 'gina', password: PASSWORD }, UA),
			acceptInvite(t.db, invite.token, { username: 'hank', password: PASSWORD }, UA)
		]);
		expect(results.filter((r) => r.ok)).toHaveLength(1);
		expect(results.find((r) => !r.ok)).toMatchObject({ code: 'invalid_invite' });
		const users = await t.db.selectFrom('user').select('username').execute();
		expect(users.map((u) => u.username).filter((n) => n === 'gina' || n === 'hank')).toHaveLength(
			1
		);
		expect(
			await acceptInvite(t.db, 'not-a-token', { username: 'ivy', password: PASSWORD }, UA)
		).toMatchObject({
			code: 'invalid_invite'
		});
	});

	it('refuses an expired invite', async () => {
		const adminRow = await t.db
			.selectFrom('user')
			.select('id')
			.where('role', '=', 'admin')
			.executeTakeFirstOrThrow();
		const old = await createInvite(
			t.db,
			{ id: adminRow.id, username: 'a', role: 'admin' },
			'user',
			Date.now() - 8 * 86_400_000
		);
		expect(
			await acceptInvite(t.db, old.token, { username: 'jill', password: PASSWORD }, UA)
		).toMatchObject({
			code: 'invalid_invite'
		});
	});

	it('removes users but never yourself or the last admin', async () => {
		const adminRow = await t.db
			.selectFrom('user')
			.selectAll()
			.where('role', '=', 'admin')
			.executeTakeFirstOrThrow();
		const admin = { id: adminRow.id, username: adminRow.username, role: adminRow.role };
		expect(await removeUser(t.db, admin, admin.username)).toMatchObject({ code: 'self' });
		expect(await removeUser(t.db, null, admin.username)).toMatchObject({ code: 'last_admin' });
		const session = await signIn('dave', PASSWORD);
		expect(await removeUser(t.db, admin, 'carol')).toEqual({ ok: true });
		expect(await removeUser(t.db, admin, 'carol')).toMatchObject({ code: 'not_found' });
		if (session.ok) expect((await validateSessionToken(t.db, session.token)).ok).toBe(true);
	});
});
