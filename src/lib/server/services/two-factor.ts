// Two-factor sign-in with an authenticator app: enrolment (QR code, a confirming code, ten
// recovery codes shown once), the code step of a sign-in (a short-lived pending login, not a
// session), the admin's "required for everyone" switch and the CLI reset. Codes are throttled
// like passwords and a used time step is never accepted again.
import { decodeBase64, encodeBase32UpperCaseNoPadding, encodeBase64 } from '@oslojs/encoding';
import type { Database, Executor } from '$lib/server/db/database';
import type { LoginThrottle } from '$lib/server/auth/login-throttle';
import { createSession, type SessionUser } from '$lib/server/auth/session';
import { generateToken, hashToken } from '$lib/server/auth/tokens';
import {
	generateRecoveryCodes,
	generateTotpSecret,
	matchTotpStep,
	normalizeRecoveryCode,
	totpKeyUri
} from '$lib/server/auth/totp';
import { openSecret, sealSecret } from '$lib/server/secret-box';
import * as repo from '$lib/server/repos/two-factor';
import { getSetting, putSetting } from '$lib/server/repos/settings';
import { findUserById, findUserByUsername } from '$lib/server/repos/users';
import { normalizeUsername } from '$lib/shared/account';
import { recordSecurityEvent } from '$lib/server/services/security-events';
import type { Failure, SignedIn, Throttled } from '$lib/server/services/accounts';

/** How long the code step of a sign-in waits after the password was right. */
export const PENDING_LOGIN_LIFETIME_MS = 5 * 60_000;
const REQUIRE_SETTING = 'require_two_factor';
const PENDING_TOKEN_SHAPE = /^[a-z2-7]{32}$/;
const MAX_CODE_LENGTH = 64;

export interface TwoFactorDeps {
	db: Database;
	secretKey: Buffer;
	loginThrottle: LoginThrottle;
}

function fail<C extends string>(code: C, message: string): Failure<C> {
	return { ok: false, code, message };
}

function throttled(retryAfterSeconds: number): Throttled {
	return {
		...fail('throttled', `Too many wrong codes; try again in ${retryAfterSeconds} s`),
		retryAfterSeconds
	};
}

function sealTotpSecret(secretKey: Buffer, userId: number, secret: Uint8Array): string {
	return sealSecret(secretKey, encodeBase64(secret), { purpose: 'totp', userId });
}

function openTotpSecret(secretKey: Buffer, userId: number, sealed: string): Uint8Array | null {
	const opened = openSecret(secretKey, sealed, { purpose: 'totp', userId });
	return opened === null ? null : decodeBase64(opened);
}

export interface TwoFactorStatus {
	enabled: boolean;
	recoveryCodesLeft: number;
	required: boolean;
}

export async function getTwoFactorStatus(db: Executor, userId: number): Promise<TwoFactorStatus> {
	const credential = await repo.findTotpCredential(db, userId);
	const enabled = credential?.confirmed_at != null;
	return {
		enabled,
		recoveryCodesLeft: enabled ? await repo.countUnusedRecoveryCodes(db, userId) : 0,
		required: await isTwoFactorRequired(db)
	};
}

export async function isTwoFactorRequired(db: Executor): Promise<boolean> {
	return (await getSetting(db, REQUIRE_SETTING)) === 'true';
}

export async function setTwoFactorRequired(db: Executor, required: boolean, now = Date.now()) {
	await putSetting(db, REQUIRE_SETTING, String(required), now);
}

/**
 * The admin page's switch. Turning it on needs the admin's own second factor first: otherwise the
 * next page would take them to enrolment before they could read what they had done.
 */
export async function changeTwoFactorRequirement(
	db: Executor,
	actor: { hasSecondFactor: boolean },
	required: boolean
): Promise<{ ok: true } | Failure<'no_second_factor'>> {
	if (required && !actor.hasSecondFactor)
		return fail(
			'no_second_factor',
			'Turn on two-factor sign-in or add a passkey for yourself first (Settings)'
		);
	await setTwoFactorRequired(db, required);
	return { ok: true };
}

export type Enrolment = { ok: true; qrDataUrl: string; manualKey: string };

/** A new secret for the user to scan; it counts only once a code from it is confirmed. */
export async function beginTotpEnrolment(
	deps: Pick<TwoFactorDeps, 'db' | 'secretKey'>,
	user: SessionUser,
	now = Date.now()
): Promise<Enrolment | Failure<'already_enabled'>> {
	const secret = generateTotpSecret();
	const saved = await repo.saveUnconfirmedTotp(
		deps.db,
		user.id,
		sealTotpSecret(deps.secretKey, user.id, secret),
		now
	);
	if (!saved) return fail('already_enabled', 'Two-factor sign-in is already on');
	const uri = totpKeyUri(user.username, secret);
	return {
		ok: true,
		// Loaded here, when a user sets two-factor up, not with the server.
		qrDataUrl: await (
			await import('qrcode')
		).default.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 }),
		manualKey: encodeBase32UpperCaseNoPadding(secret)
	};
}

/**
 * Checks a six-digit code or a recovery code for the user, counted before it is checked. A code
 * whose time step was already used (a replay, or the code that confirmed enrolment) is wrong.
 */
async function checkSecondFactor(
	deps: TwoFactorDeps,
	userId: number,
	code: string,
	ip: string,
	now: number,
	options: { confirmed: boolean }
): Promise<{ ok: true; recovery: boolean } | Failure<'wrong_code' | 'not_enabled'> | Throttled> {
	const reservation = await deps.loginThrottle.reserveSecondFactor(userId, ip);
	if (!reservation.ok) return throttled(reservation.retryAfterSeconds);
	const credential = await repo.findTotpCredential(deps.db, userId);
	if (!credential || (credential.confirmed_at != null) !== options.confirmed) {
		await deps.loginThrottle.release(reservation);
		return fail('not_enabled', 'Two-factor sign-in is not set up');
	}
	const typed = code.slice(0, MAX_CODE_LENGTH);
	const secret = openTotpSecret(deps.secretKey, userId, credential.secret_sealed);
	const step = secret ? matchTotpStep(secret, typed, now) : null;
	let accepted = step !== null && (await repo.claimTotpStep(deps.db, userId, step));
	let recovery = false;
	if (!accepted && step === null && options.confirmed) {
		const normalized = normalizeRecoveryCode(typed);
		accepted =
			normalized.length > 0 &&
			(await repo.useRecoveryCode(deps.db, userId, hashToken(normalized), now));
		recovery = accepted;
	}
	if (!accepted) return fail('wrong_code', 'That code is not right, or was already used');
	await deps.loginThrottle.succeeded(reservation);
	return { ok: true, recovery };
}

/** Turns two-factor on with a code from the new secret; the recovery codes are shown once. */
export async function confirmTotpEnrolment(
	deps: TwoFactorDeps,
	user: SessionUser,
	code: string,
	ip: string,
	now = Date.now()
): Promise<
	{ ok: true; recoveryCodes: string[] } | Failure<'wrong_code' | 'not_enabled'> | Throttled
> {
	const userId = user.id;
	const checked = await checkSecondFactor(deps, userId, code, ip, now, { confirmed: false });
	if (!checked.ok) {
		return checked.code === 'not_enabled'
			? fail('not_enabled', 'Start again: scan a new QR code')
			: checked;
	}
	const recoveryCodes = generateRecoveryCodes();
	const done = await deps.db.transaction().execute(async (trx) => {
		if (!(await repo.confirmTotp(trx, userId, now))) return false;
		await repo.replaceRecoveryCodes(
			trx,
			userId,
			recoveryCodes.map(normalizeRecoveryCode).map(hashToken)
		);
		return true;
	});
	if (!done) return fail('not_enabled', 'Start again: scan a new QR code');
	await recordSecurityEvent(deps.db, {
		kind: 'two_factor_on',
		userId,
		username: user.username,
		ip
	});
	return { ok: true, recoveryCodes };
}

/** Turns two-factor off; needs a current code (or a recovery code). */
export async function disableTwoFactor(
	deps: TwoFactorDeps,
	user: SessionUser,
	code: string,
	ip: string,
	now = Date.now()
): Promise<{ ok: true } | Failure<'wrong_code' | 'not_enabled' | 'required'> | Throttled> {
	if (await isTwoFactorRequired(deps.db)) {
		return fail('required', 'Your administrator requires two-factor sign-in for everyone');
	}
	const checked = await checkSecondFactor(deps, user.id, code, ip, now, { confirmed: true });
	if (!checked.ok) return checked;
	await repo.deleteTwoFactor(deps.db, user.id);
	await recordSecurityEvent(deps.db, {
		kind: 'two_factor_off',
		userId: user.id,
		username: user.username,
		ip
	});
	return { ok: true };
}

export async function userHasTwoFactor(db: Executor, userId: number): Promise<boolean> {
	return (await repo.findTotpCredential(db, userId))?.confirmed_at != null;
}

/** The password was right and the account has two-factor: the code step, with its own token. */
export async function startPendingLogin(
	db: Executor,
	userId: number,
	now = Date.now()
): Promise<{ pendingToken: string; expiresAt: number }> {
	const pendingToken = generateToken();
	const expiresAt = now + PENDING_LOGIN_LIFETIME_MS;
	await repo.insertPendingLogin(db, {
		id: hashToken(pendingToken),
		user_id: userId,
		expires_at: expiresAt
	});
	return { pendingToken, expiresAt };
}

export type SecondFactorResult =
	SignedIn | Failure<'expired' | 'wrong_code' | 'not_enabled'> | Throttled;

/** The code step of a sign-in: a right code ends the pending login and starts a session. */
export async function completePendingLogin(
	deps: TwoFactorDeps,
	input: { pendingToken: string; code: string; ip: string; userAgent: string | null },
	now = Date.now()
): Promise<SecondFactorResult> {
	const expired = fail('expired', 'The sign-in took too long; enter your password again');
	if (!PENDING_TOKEN_SHAPE.test(input.pendingToken)) return expired;
	const id = hashToken(input.pendingToken);
	const pending = await repo.findPendingLogin(deps.db, id, now);
	if (!pending) return expired;
	const user = await findUserById(deps.db, pending.user_id);
	if (!user) return expired;
	const where = {
		userId: user.id,
		username: user.username,
		ip: input.ip,
		userAgent: input.userAgent
	};
	const checked = await checkSecondFactor(deps, user.id, input.code, input.ip, now, {
		confirmed: true
	});
	if (!checked.ok) {
		if (checked.code === 'wrong_code' || checked.code === 'throttled') {
			const kind = checked.code === 'throttled' ? 'sign_in_locked' : 'two_factor_failed';
			await recordSecurityEvent(deps.db, { kind, ...where });
		}
		return checked;
	}
	if (!(await repo.deletePendingLogin(deps.db, id))) return expired;
	const { token, session } = await createSession(deps.db, user.id, input.userAgent, now);
	if (checked.recovery)
		await recordSecurityEvent(deps.db, { kind: 'recovery_code_used', ...where });
	await recordSecurityEvent(deps.db, {
		kind: 'sign_in',
		detail: checked.recovery ? 'password and recovery code' : 'password and code',
		...where
	});
	return {
		ok: true,
		user: { id: user.id, username: user.username, role: user.role },
		token,
		session
	};
}

/** The admin CLI's way back in for a user who lost their authenticator and recovery codes. */
export async function resetTwoFactor(
	deps: Pick<TwoFactorDeps, 'db' | 'loginThrottle'>,
	username: string
): Promise<{ ok: true; username: string; hadTwoFactor: boolean } | Failure<'not_found'>> {
	const name = normalizeUsername(username);
	const user = await findUserByUsername(deps.db, name);
	if (!user) return fail('not_found', `No user named "${name}"`);
	const hadTwoFactor = await repo.deleteTwoFactor(deps.db, user.id);
	await deps.loginThrottle.unlock(user.username, user.id);
	if (hadTwoFactor) {
		await recordSecurityEvent(deps.db, {
			kind: 'two_factor_reset',
			userId: user.id,
			username: user.username,
			detail: 'by the administrator (CLI)'
		});
	}
	return { ok: true, username: user.username, hadTwoFactor };
}
