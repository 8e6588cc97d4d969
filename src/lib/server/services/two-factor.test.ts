import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHOTP } from '@oslojs/otp';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import { LoginThrottle, SECOND_FACTOR_CHECKS_PER_USER } from '$lib/server/auth/login-throttle';
import { RECOVERY_CODE_COUNT, totpStep, TOTP_PERIOD_S } from '$lib/server/auth/totp';
import { validateSessionToken } from '$lib/server/auth/session';
import { addUser, login } from '$lib/server/services/accounts';
import {
	beginTotpEnrolment,
	changeTwoFactorRequirement,
	completePendingLogin,
	confirmTotpEnrolment,
	disableTwoFactor,
	getTwoFactorStatus,
	resetTwoFactor,
	setTwoFactorRequired,
	type TwoFactorDeps
} from '$lib/server/services/two-factor';

const IP = '203.0.113.9';
const STEP_MS = TOTP_PERIOD_S * 1000;

function codeAt(manualKey: string, now: number, steps = 0): string {
	return generateHOTP(decodeBase32IgnorePadding(manualKey), BigInt(totpStep(now) + steps), 6);
}

describe.each(DIALECTS)('two-factor sign-in on %s', (dialect) => {
	let t: TestDatabase;
	let deps: TwoFactorDeps;
	let n = 0;

	/** A user with a password, enrolled in two-factor; returns their key and recovery codes. */
	async function enrolledUser(now = Date.now()) {
		const username = `tf${++n}`;
		const added = await addUser(t.db, { username, password: 'password-123', role: 'user' });
		if (!added.ok) throw new Error(added.message);
		const enrolment = await beginTotpEnrolment(deps, added.user, now);
		if (!enrolment.ok) throw new Error(enrolment.message);
		const confirmed = await confirmTotpEnrolment(
			deps,
			added.user,
			codeAt(enrolment.manualKey, now),
			IP,
			now
		);
		if (!confirmed.ok) throw new Error(confirmed.message);
		return { user: added.user, key: enrolment.manualKey, recoveryCodes: confirmed.recoveryCodes };
	}

	async function passwordStep(username: string) {
		const result = await login(t.db, deps.loginThrottle, {
			username,
			password: 'password-123',
			ip: IP,
			userAgent: null
		});
		if (result.ok || result.code !== 'second_factor') throw new Error(JSON.stringify(result));
		return result.pendingToken;
	}

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		deps = { db: t.db, secretKey: randomBytes(32), loginThrottle: new LoginThrottle(t.db) };
	});
	afterAll(() => t.close());

	it('enrols with a QR code and a confirming code; the secret is sealed at rest', async () => {
		const now = Date.now();
		const added = await addUser(t.db, { username: 'qr', password: 'password-123', role: 'user' });
		if (!added.ok) throw new Error(added.message);
		const enrolment = await beginTotpEnrolment(deps, added.user, now);
		if (!enrolment.ok) throw new Error(enrolment.message);
		expect(enrolment.qrDataUrl).toMatch(/^data:image\/png;base64,/);
		const row = await t.db
			.selectFrom('totp_credential')
			.selectAll()
			.where('user_id', '=', added.user.id)
			.executeTakeFirstOrThrow();
		expect(row.secret_sealed).not.toContain(enrolment.manualKey);
		expect(row.confirmed_at).toBeNull();
		// Not on until confirmed: the password alone still signs in.
		expect(
			(
				await login(t.db, deps.loginThrottle, {
					username: 'qr',
					password: 'password-123',
					ip: IP,
					userAgent: null
				})
			).ok
		).toBe(true);

		const wrong = await confirmTotpEnrolment(deps, added.user, '000000', IP, now);
		expect(wrong).toMatchObject({ ok: false, code: 'wrong_code' });
		const right = await confirmTotpEnrolment(
			deps,
			added.user,
			codeAt(enrolment.manualKey, now),
			IP,
			now
		);
		if (!right.ok) throw new Error(right.message);
		expect(right.recoveryCodes).toHaveLength(RECOVERY_CODE_COUNT);
		expect(new Set(right.recoveryCodes).size).toBe(RECOVERY_CODE_COUNT);
		const stored = await t.db.selectFrom('recovery_code').select('code_hash').execute();
		for (const code of right.recoveryCodes) {
			expect(JSON.stringify(stored)).not.toContain(code.replace(/-/g, ''));
		}
		expect(await getTwoFactorStatus(t.db, added.user.id)).toMatchObject({
			enabled: true,
			recoveryCodesLeft: RECOVERY_CODE_COUNT
		});
		// A second enrolment cannot replace a confirmed secret.
		expect(await beginTotpEnrolment(deps, added.user, now)).toMatchObject({
			code: 'already_enabled'
		});
	});

	it('asks for the code after the password; a wrong code fails, a right one signs in', async () => {
		const { user, key } = await enrolledUser();
		const pendingToken = await passwordStep(user.username);
		// The pending token is not a session.
		expect((await validateSessionToken(t.db, pendingToken)).ok).toBe(false);
		const later = Date.now() + STEP_MS;
		const wrong = await completePendingLogin(
			deps,
			{ pendingToken, code: codeAt(key, later, 5), ip: IP, userAgent: null },
			later
		);
		expect(wrong).toMatchObject({ ok: false, code: 'wrong_code' });
		const right = await completePendingLogin(
			deps,
			{ pendingToken, code: codeAt(key, later), ip: IP, userAgent: null },
			later
		);
		if (!right.ok) throw new Error(right.message);
		expect((await validateSessionToken(t.db, right.token)).ok).toBe(true);
		// The pending login is spent.
		const again = await completePendingLogin(
			deps,
			{ pendingToken, code: codeAt(key, later, 1), ip: IP, userAgent: null },
			later
		);
		expect(again).toMatchObject({ ok: false, code: 'expired' });
	});

	it('refuses a replayed code within its window, in parallel too', async () => {
		const { user, key } = await enrolledUser();
		const later = Date.now() + STEP_MS;
		const code = codeAt(key, later);
		const tokens = [await passwordStep(user.username), await passwordStep(user.username)];
		const results = await Promise.all(
			tokens.map((pendingToken) =>
				completePendingLogin(deps, { pendingToken, code, ip: IP, userAgent: null }, later)
			)
		);
		expect(results.filter((r) => r.ok)).toHaveLength(1);
		expect(results.find((r) => !r.ok)).toMatchObject({ code: 'wrong_code' });
		// The code that confirmed enrolment cannot sign in either (its step is used).
		const { user: other, key: otherKey } = await enrolledUser(later);
		const pendingToken = await passwordStep(other.username);
		expect(
			await completePendingLogin(
				deps,
				{ pendingToken, code: codeAt(otherKey, later), ip: IP, userAgent: null },
				later
			)
		).toMatchObject({ code: 'wrong_code' });
	});

	it('takes each recovery code once', async () => {
		const { user, recoveryCodes } = await enrolledUser();
		const first = await passwordStep(user.username);
		const used = await completePendingLogin(deps, {
			pendingToken: first,
			code: recoveryCodes[0]!.toUpperCase(),
			ip: IP,
			userAgent: null
		});
		expect(used.ok).toBe(true);
		const second = await passwordStep(user.username);
		expect(
			await completePendingLogin(deps, {
				pendingToken: second,
				code: recoveryCodes[0]!,
				ip: IP,
				userAgent: null
			})
		).toMatchObject({ code: 'wrong_code' });
		expect((await getTwoFactorStatus(t.db, user.id)).recoveryCodesLeft).toBe(
			RECOVERY_CODE_COUNT - 1
		);
	});

	it('throttles wrong codes like passwords, even before the right one', async () => {
		const { user, key } = await enrolledUser();
		const pendingToken = await passwordStep(user.username);
		const later = Date.now() + STEP_MS;
		for (let i = 0; i < SECOND_FACTOR_CHECKS_PER_USER.limit; i++) {
			const guess = String(i).padStart(6, '9');
			const result = await completePendingLogin(
				deps,
				{ pendingToken, code: guess, ip: IP, userAgent: null },
				later
			);
			expect(result).toMatchObject({ ok: false, code: 'wrong_code' });
		}
		const locked = await completePendingLogin(
			deps,
			{ pendingToken, code: codeAt(key, later), ip: IP, userAgent: null },
			later
		);
		expect(locked).toMatchObject({ ok: false, code: 'throttled' });
		// The admin's reset (CLI) clears the lock and the second factor.
		expect(await resetTwoFactor(deps, user.username.toUpperCase())).toEqual({
			ok: true,
			username: user.username,
			hadTwoFactor: true
		});
		const signedIn = await login(t.db, deps.loginThrottle, {
			username: user.username,
			password: 'password-123',
			ip: IP,
			userAgent: null
		});
		expect(signedIn.ok).toBe(true);
		expect(await resetTwoFactor(deps, 'nobody-here')).toMatchObject({ code: 'not_found' });
	});

	it('refuses made-up pending tokens and junk codes without storing anything', async () => {
		const { user } = await enrolledUser();
		const pendingToken = await passwordStep(user.username);
		for (const bad of ['', 'x', 'A'.repeat(32), 'a'.repeat(10_000)]) {
			expect(
				await completePendingLogin(deps, {
					pendingToken: bad,
					code: '123456',
					ip: IP,
					userAgent: null
				})
			).toMatchObject({ code: 'expired' });
		}
		for (const junk of ['', '12345', '1234567', 'abcdef', '١٢٣٤٥٦', 'x'.repeat(100_000)]) {
			expect(
				await completePendingLogin(deps, { pendingToken, code: junk, ip: IP, userAgent: null })
			).toMatchObject({ ok: false });
			await deps.loginThrottle.unlock(user.username, user.id);
		}
		const sessions = await t.db
			.selectFrom('session')
			.select('id')
			.where('user_id', '=', user.id)
			.execute();
		expect(sessions).toHaveLength(0);
	});

	it('cannot be turned off while the admin requires it for everyone', async () => {
		const { user, key } = await enrolledUser();
		const later = Date.now() + STEP_MS;
		await setTwoFactorRequired(t.db, true);
		expect(await disableTwoFactor(deps, user, codeAt(key, later), IP, later)).toMatchObject({
			code: 'required'
		});
		expect((await getTwoFactorStatus(t.db, user.id)).required).toBe(true);
		await setTwoFactorRequired(t.db, false);
		expect(await disableTwoFactor(deps, user, codeAt(key, later), IP, later)).toEqual({
			ok: true
		});
		expect((await getTwoFactorStatus(t.db, user.id)).enabled).toBe(false);
	});

	it('the admin switch: on only for an admin with a second factor; off always', async () => {
		expect(await changeTwoFactorRequirement(t.db, { hasSecondFactor: false }, true)).toMatchObject({
			ok: false,
			code: 'no_second_factor'
		});
		const someone = await addUser(t.db, {
			username: 'switch-check',
			password: 'pw-12345678',
			role: 'user'
		});
		if (!someone.ok) throw new Error(someone.message);
		expect((await getTwoFactorStatus(t.db, someone.user.id)).required).toBe(false);
		expect(await changeTwoFactorRequirement(t.db, { hasSecondFactor: true }, true)).toEqual({
			ok: true
		});
		expect((await getTwoFactorStatus(t.db, someone.user.id)).required).toBe(true);
		expect(await changeTwoFactorRequirement(t.db, { hasSecondFactor: false }, false)).toEqual({
			ok: true
		});
		expect((await getTwoFactorStatus(t.db, someone.user.id)).required).toBe(false);
	});
});
