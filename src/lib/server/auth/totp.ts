// RFC 6238 time-based codes through @oslojs/otp, plus what the library leaves to us: which time
// step a code matched (a used step is stored so a code cannot be replayed), and recovery codes.
import { timingSafeEqual } from 'node:crypto';
import { createTOTPKeyURI, generateHOTP } from '@oslojs/otp';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
/** A phone clock a little off still works: the step before and after the current one match too. */
export const TOTP_DRIFT_STEPS = 1;
const SECRET_BYTES = 20;
export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_CODE_BYTES = 10;
const ISSUER = 'Hearth';
const CODE_SHAPE = /^\d{6}$/;

export function generateTotpSecret(): Uint8Array {
	return crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
}

export function totpKeyUri(username: string, secret: Uint8Array): string {
	return createTOTPKeyURI(ISSUER, username, secret, TOTP_PERIOD_S, TOTP_DIGITS);
}

export function totpStep(now: number): number {
	return Math.floor(now / 1000 / TOTP_PERIOD_S);
}

/** The time step the code belongs to (within the drift allowed), or null. */
export function matchTotpStep(secret: Uint8Array, code: string, now: number): number | null {
	const typed = code.replace(/\s/g, '');
	if (!CODE_SHAPE.test(typed)) return null;
	const current = totpStep(now);
	for (let step = current - TOTP_DRIFT_STEPS; step <= current + TOTP_DRIFT_STEPS; step++) {
		const expected = generateHOTP(secret, BigInt(step), TOTP_DIGITS);
		if (timingSafeEqual(Buffer.from(expected), Buffer.from(typed))) return step;
	}
	return null;
}

/** Ten codes like `abcd-efgh-ijkl-mnop` (80 random bits each). */
export function generateRecoveryCodes(): string[] {
	return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
		const bytes = crypto.getRandomValues(new Uint8Array(RECOVERY_CODE_BYTES));
		return encodeBase32LowerCaseNoPadding(bytes).match(/.{4}/g)!.join('-');
	});
}

/** What a typed recovery code is compared as: lower case, no spaces or dashes. */
export function normalizeRecoveryCode(code: string): string {
	return code.toLowerCase().replace(/[\s-]/g, '').slice(0, 64);
}
