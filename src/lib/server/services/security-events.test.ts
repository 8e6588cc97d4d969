import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import { LoginThrottle, SIGN_INS_PER_ACCOUNT } from '$lib/server/auth/login-throttle';
import { Sweeper } from '$lib/server/jobs/sweeper';
import { addUser, changePassword, login } from '$lib/server/services/accounts';
import {
	listSecurityEvents,
	recordSecurityEvent,
	SECURITY_EVENT_RETENTION_MS
} from '$lib/server/services/security-events';
import { resetTwoFactor } from '$lib/server/services/two-factor';

const CHROME =
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe.each(DIALECTS)('security events on %s', (dialect) => {
	let t: TestDatabase;
	let throttle: LoginThrottle;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		throttle = new LoginThrottle(t.db);
	});
	afterAll(() => t.close());

	const signIn = (username: string, password: string, ip = '198.51.100.1') =>
		login(t.db, throttle, { username, password, ip, userAgent: CHROME });

	it('records sign-ins that succeed, fail and lock, each user seeing only their own', async () => {
		const ann = await addUser(t.db, { username: 'ann', password: 'ann-password', role: 'user' });
		const ben = await addUser(t.db, { username: 'ben', password: 'ben-password', role: 'user' });
		if (!ann.ok || !ben.ok) throw new Error('users');
		expect((await signIn('ann', 'ann-password')).ok).toBe(true);
		for (let i = 0; i < SIGN_INS_PER_ACCOUNT.limit; i++) {
			await signIn('ben', `wrong-${i}`, `198.51.100.${10 + i}`);
		}
		expect(await signIn('ben', 'ben-password')).toMatchObject({ code: 'throttled' });
		await signIn('nobody', 'whatever');

		const anns = await listSecurityEvents(t.db, ann.user.id);
		expect(anns.map((e) => e.kind)).toEqual(['sign_in']);
		expect(anns[0]).toMatchObject({ ip: '198.51.100.1', device: 'Chrome 131 on Linux' });
		const bens = await listSecurityEvents(t.db, ben.user.id);
		expect(bens.map((e) => e.kind)).toEqual([
			'sign_in_locked',
			...Array<string>(SIGN_INS_PER_ACCOUNT.limit).fill('sign_in_failed')
		]);
		// The admin's view has everyone's, including a name that is no account.
		const all = await listSecurityEvents(t.db, null);
		expect(all[0]).toMatchObject({ kind: 'sign_in_failed', username: 'nobody' });
		expect(all).toHaveLength(anns.length + bens.length + 1);
	});

	it('records password changes and a two-factor reset', async () => {
		const cam = await addUser(t.db, { username: 'cam', password: 'cam-password', role: 'user' });
		if (!cam.ok) throw new Error('user');
		const changed = await changePassword(
			t.db,
			throttle,
			cam.user,
			{ currentPassword: 'cam-password', newPassword: 'cam-password-2' },
			CHROME
		);
		expect(changed.ok).toBe(true);
		await t.db
			.insertInto('totp_credential')
			.values({ user_id: cam.user.id, secret_sealed: 'x', created_at: 0, confirmed_at: 1 })
			.execute();
		await resetTwoFactor({ db: t.db, loginThrottle: throttle }, 'cam');
		const kinds = (await listSecurityEvents(t.db, cam.user.id)).map((e) => e.kind);
		expect(kinds).toEqual(['two_factor_reset', 'password_changed']);
	});

	it('keeps events for 90 days: the sweeper deletes older ones', async () => {
		const now = 10 * SECURITY_EVENT_RETENTION_MS;
		const base = { kind: 'sign_in', userId: null, username: 'old' } as const;
		await recordSecurityEvent(t.db, base, now - SECURITY_EVENT_RETENTION_MS - 1);
		await recordSecurityEvent(t.db, { ...base, username: 'recent' }, now - 1000);
		await new Sweeper({ db: t.db, log: pino({ level: 'silent' }), now: () => now }).sweep();
		const names = (await listSecurityEvents(t.db, null)).map((e) => e.username);
		expect(names).toContain('recent');
		expect(names).not.toContain('old');
	});

	it('never fails the action it records', async () => {
		await expect(
			recordSecurityEvent(t.db, {
				kind: 'sign_in',
				userId: 987_654,
				username: 'x'.repeat(10_000),
				detail: randomBytes(1000).toString('hex')
			})
		).resolves.toBeUndefined();
	});
});
