import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import {
	LoginThrottle,
	SIGN_INS_PER_ACCOUNT,
	SIGN_INS_PER_NETWORK
} from '$lib/server/auth/login-throttle';
import { createDatabase } from '$lib/server/db/database';
import { deleteSpentAttempts } from '$lib/server/repos/auth-throttle';
import { clientNetwork } from '$lib/server/net/ip';
import { manualClock } from '../../../../tests/support/clock';

const MINUTE_MS = 60_000;

/** Spends an account's whole budget with wrong passwords, each from another address. */
async function lock(throttle: LoginThrottle, username: string) {
	for (let i = 0; i < SIGN_INS_PER_ACCOUNT.limit; i++) {
		expect((await throttle.reserveSignIn(username, `10.${i}.0.1`)).ok).toBe(true);
	}
	expect((await throttle.reserveSignIn(username, '10.99.0.1')).ok).toBe(false);
}

describe('clientNetwork', () => {
	it.each([
		['203.0.113.7', '203.0.113.7'],
		['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
		['2001:0db8:0001:0002::1', '2001:db8:1:2::/64'],
		['[2001:db8:1:2::ffff]', '2001:db8:1:2::/64'],
		['2001:db8::1', '2001:db8:0:0::/64'],
		['::ffff:198.51.100.4', '198.51.100.4'],
		['unknown', 'unknown']
	])('%s counts as %s', (ip, network) => {
		expect(clientNetwork(ip)).toBe(network);
	});
});

describe.each(DIALECTS)('login throttle on %s', (dialect) => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
	});
	afterAll(() => t.close());

	it('blocks a network that sprays many accounts, and only that network', async () => {
		const throttle = new LoginThrottle(t.db, manualClock().now);
		for (let i = 0; i < SIGN_INS_PER_NETWORK.limit; i++) {
			expect((await throttle.reserveSignIn(`spray${i}`, '9.9.9.9')).ok).toBe(true);
		}
		const refused = await throttle.reserveSignIn('fresh', '9.9.9.9');
		expect(refused).toEqual({ ok: false, retryAfterSeconds: 15 * 60 });
		expect((await throttle.reserveSignIn('fresh', '8.8.8.8')).ok).toBe(true);
		// The refused attempt took nothing from the account it named.
		const account = await t.db
			.selectFrom('auth_throttle')
			.select('attempts')
			.where('key', '=', 'account:fresh')
			.executeTakeFirstOrThrow();
		expect(account.attempts).toBe(1);
	});

	it('gives addresses in one IPv6 /64 one budget, and another /64 its own', async () => {
		const throttle = new LoginThrottle(t.db, manualClock().now);
		for (let i = 0; i < SIGN_INS_PER_NETWORK.limit; i++) {
			const address = `2001:db8:aa:bb:${(i + 1).toString(16)}:${i}::${i}`;
			expect((await throttle.reserveSignIn(`v6user${i}`, address)).ok).toBe(true);
		}
		expect((await throttle.reserveSignIn('v6fresh', '2001:db8:aa:bb:ffff::1')).ok).toBe(false);
		expect((await throttle.reserveSignIn('v6fresh', '2001:db8:aa:bc::1')).ok).toBe(true);
	});

	it('never forgets a locked account, however many junk keys are counted and swept', async () => {
		const c = manualClock();
		const throttle = new LoginThrottle(t.db, c.now);
		// Junk first, so its windows end before the victim's does.
		const junk = (from: number, count: number) =>
			Promise.all(
				Array.from({ length: count }, (_, i) =>
					throttle.reserveSignIn(`junk-${from + i}`, `2001:db8:${(from + i).toString(16)}::1`)
				)
			);
		for (let i = 0; i < 5_000; i += 250) await junk(i, 250);
		c.advance(14 * MINUTE_MS);
		await lock(throttle, 'victim');
		for (let i = 5_000; i < 10_050; i += 250) await junk(i, 250);
		c.advance(2 * MINUTE_MS);
		expect(await deleteSpentAttempts(t.db, c.now())).toBeGreaterThanOrEqual(2 * 5_000);

		const refused = await throttle.reserveSignIn('victim', '192.0.2.1');
		expect(refused.ok).toBe(false);
		if (!refused.ok) expect(refused.retryAfterSeconds).toBe(13 * 60);
		// Once its own window is over the account may try again.
		c.advance(13 * MINUTE_MS);
		expect((await throttle.reserveSignIn('victim', '192.0.2.1')).ok).toBe(true);
	}, 60_000);

	it('a right password clears the account and gives the network its attempt back', async () => {
		const throttle = new LoginThrottle(t.db, manualClock().now);
		for (let i = 0; i < SIGN_INS_PER_ACCOUNT.limit - 1; i++) {
			await throttle.reserveSignIn('typo', '192.0.2.50');
		}
		const right = await throttle.reserveSignIn('typo', '192.0.2.50');
		expect(right.ok).toBe(true);
		await throttle.succeeded(right);
		const rows = await t.db
			.selectFrom('auth_throttle')
			.select(['key', 'attempts'])
			.where('key', 'in', ['account:typo', 'network:192.0.2.50'])
			.execute();
		expect(rows).toEqual([{ key: 'network:192.0.2.50', attempts: SIGN_INS_PER_ACCOUNT.limit - 1 }]);
	});

	it('an attempt never checked (busy hasher) gives its budget back', async () => {
		const throttle = new LoginThrottle(t.db, manualClock().now);
		for (let i = 0; i < 20; i++) {
			const r = await throttle.reserveSignIn('busy', '192.0.2.60');
			expect(r.ok).toBe(true);
			await throttle.release(r);
		}
		await lock(throttle, 'busy');
	});

	it('unlock lets the account sign in again at once', async () => {
		const throttle = new LoginThrottle(t.db, manualClock().now);
		await lock(throttle, 'owner');
		await throttle.unlock('owner', 1);
		expect((await throttle.reserveSignIn('owner', '10.99.0.1')).ok).toBe(true);
	});
});

describe('login throttle shared by two instances on one PostgreSQL', () => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await freshDatabase('postgres');
	});
	afterAll(() => t.close());

	it('grants one account five attempts in all when 70 race through two instances', async () => {
		const other = await createDatabase({ kind: 'postgres', url: t.url! });
		try {
			const instances = [new LoginThrottle(t.db), new LoginThrottle(other)];
			const results = await Promise.all(
				Array.from({ length: 70 }, (_, i) =>
					instances[i % 2]!.reserveSignIn('shared', `198.51.100.${i + 1}`)
				)
			);
			expect(results.filter((r) => r.ok)).toHaveLength(SIGN_INS_PER_ACCOUNT.limit);
		} finally {
			await other.destroy();
		}
	});
});
