import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { createSession, SESSION_LIFETIME_MS } from '$lib/server/auth/session';
import { LoginThrottle, SIGN_INS_PER_ACCOUNT } from '$lib/server/auth/login-throttle';
import { Sweeper } from '$lib/server/jobs/sweeper';
import { PENDING_LOGIN_LIFETIME_MS, startPendingLogin } from '$lib/server/services/two-factor';
import { createPolicyRule, screenText } from '$lib/server/services/content-policy';
import {
	POLICY_REFUSAL_RETENTION_MS,
	setKeepRefusedText
} from '$lib/server/services/policy-refusals';
import { reserveApiRequest, setUserBudget } from '$lib/server/services/budget';

const MINUTE_MS = 60_000;

describe.each(DIALECTS)('sweeper on %s', (dialect) => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
	});
	afterAll(() => t.close());

	const sessionIds = async () =>
		(await t.db.selectFrom('session').select('id').execute()).map((r) => r.id).sort();
	const throttleKeys = async () =>
		(await t.db.selectFrom('auth_throttle').select('key').execute()).map((r) => r.key).sort();

	it('on its timer, deletes expired sessions and spent windows but keeps a locked account', async () => {
		const [userId] = await insertUsers(t.db, 'sam');
		let now = 10 * SESSION_LIFETIME_MS;
		const clock = () => now;
		const expired = await createSession(t.db, userId!, null, now - SESSION_LIFETIME_MS - 1);
		const live = await createSession(t.db, userId!, null, now);
		const throttle = new LoginThrottle(t.db, clock);
		await throttle.reserveSignIn('once', '192.0.2.1');
		now += 14 * MINUTE_MS;
		for (let i = 0; i < SIGN_INS_PER_ACCOUNT.limit; i++) {
			await throttle.reserveSignIn('locked', `192.0.2.${10 + i}`);
		}
		now += 2 * MINUTE_MS;

		expect(await sessionIds()).toContain(expired.session.id);
		const log = pino({ level: 'silent' });
		const sweeper = new Sweeper({ db: t.db, log, intervalMs: 5, now: clock });
		sweeper.start();
		try {
			await vi.waitFor(async () => expect(await sessionIds()).toEqual([live.session.id]));
			await vi.waitFor(async () =>
				expect(await throttleKeys()).toEqual([
					'account:locked',
					...Array.from(
						{ length: SIGN_INS_PER_ACCOUNT.limit },
						(_, i) => `network:192.0.2.${10 + i}`
					)
				])
			);
		} finally {
			await sweeper.stop();
		}
		expect((await throttle.reserveSignIn('locked', '198.51.100.1')).ok).toBe(false);
	});

	it('deletes two-factor sign-ins that were never finished, keeping fresh ones', async () => {
		const [userId] = await insertUsers(t.db, 'pat');
		const now = 50 * PENDING_LOGIN_LIFETIME_MS;
		await startPendingLogin(t.db, userId!, now - PENDING_LOGIN_LIFETIME_MS - 1);
		const fresh = await startPendingLogin(t.db, userId!, now);
		const sweeper = new Sweeper({ db: t.db, log: pino({ level: 'silent' }), now: () => now });
		await sweeper.sweep();
		const left = await t.db.selectFrom('pending_login').select('expires_at').execute();
		expect(left.map((r) => Number(r.expires_at))).toEqual([fresh.expiresAt]);
	});

	it('deletes kept refused texts past their retention and unsettled /v1 reservations past expiry', async () => {
		const [userId] = (await insertUsers(t.db, 'kim')) as [number];
		const rule = await createPolicyRule(t.db, {
			name: 'r',
			kind: 'keyword',
			pattern: 'teal',
			message: 'no'
		});
		if (!rule.ok) throw new Error(rule.message);
		await setKeepRefusedText(t.db, true);
		const sender = { userId, source: 'chat' as const };
		await screenText(t.db, 'teal, old', 0, undefined, sender);
		await screenText(t.db, 'teal, fresh', POLICY_REFUSAL_RETENTION_MS, undefined, sender);
		await setUserBudget(t.db, userId, 1_000_000, 0);
		const TTL_MS = MINUTE_MS;
		for (const at of [POLICY_REFUSAL_RETENTION_MS - TTL_MS, POLICY_REFUSAL_RETENTION_MS])
			expect((await reserveApiRequest(t.db, userId, at, TTL_MS)).ok).toBe(true);

		const sweeper = new Sweeper({
			db: t.db,
			log: pino({ level: 'silent' }),
			now: () => POLICY_REFUSAL_RETENTION_MS + 1
		});
		await sweeper.sweep();
		const texts = await t.db.selectFrom('policy_refusal').select('text').execute();
		expect(texts).toEqual([{ text: 'teal, fresh' }]);
		const reservations = await t.db.selectFrom('budget_reservation').select('expires_at').execute();
		expect(reservations).toEqual([{ expires_at: POLICY_REFUSAL_RETENTION_MS + TTL_MS }]);
	});

	it('logs a failed pass and sweeps again on the next one', async () => {
		const [userId] = await insertUsers(t.db, 'tia');
		const old = await createSession(t.db, userId!, null, 0);
		const warnings: string[] = [];
		const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
		let calls = 0;
		const now = () => {
			if (calls++ === 0) throw new Error('clock broke');
			return SESSION_LIFETIME_MS + 1;
		};
		const sweeper = new Sweeper({ db: t.db, log, now });
		await sweeper.sweep();
		expect(warnings.join('')).toMatch(/sweep of expired rows failed/);
		expect(await sessionIds()).toContain(old.session.id);
		await sweeper.sweep();
		expect(await sessionIds()).not.toContain(old.session.id);
	});
});
