// Passkeys through @simplewebauthn/server (it verifies attestation and assertion formats, origins
// and RP ids, and counters, which we would otherwise hand-roll): register several per user with
// names, sign in with one alone (a discoverable credential names its user; user verification on
// the device makes it two factors), remove one. Challenges are single-use rows that expire.
import {
	generateAuthenticationOptions,
	generateRegistrationOptions,
	verifyAuthenticationResponse,
	verifyRegistrationResponse,
	type AuthenticationResponseJSON,
	type PublicKeyCredentialCreationOptionsJSON,
	type PublicKeyCredentialRequestOptionsJSON,
	type RegistrationResponseJSON
} from '@simplewebauthn/server';
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding';
import type { Executor } from '$lib/server/db/database';
import { createSession, type SessionUser } from '$lib/server/auth/session';
import { generateToken, hashToken } from '$lib/server/auth/tokens';
import * as repo from '$lib/server/repos/passkeys';
import { findUserById } from '$lib/server/repos/users';
import { recordSecurityEvent } from '$lib/server/services/security-events';
import type { Failure, SignedIn } from '$lib/server/services/accounts';
import type { PasskeyDto } from '$lib/shared/dto';

export const CHALLENGE_LIFETIME_MS = 5 * 60_000;
export const MAX_PASSKEYS_PER_USER = 10;
const CEREMONY_TIMEOUT_MS = 120_000;
const CHALLENGE_ID_SHAPE = /^[a-z2-7]{32}$/;

/** Where passkeys belong: the RP id is the host name of ORIGIN (or of this request, unset). */
export interface RelyingParty {
	id: string;
	origin: string;
}

export function relyingParty(configOrigin: string | null, requestOrigin: string): RelyingParty {
	const origin = configOrigin ?? requestOrigin;
	return { id: new URL(origin).hostname, origin };
}

function fail<C extends string>(code: C, message: string): Failure<C> {
	return { ok: false, code, message };
}

async function newChallenge(db: Executor, challenge: string, userId: number | null, now: number) {
	const challengeId = generateToken();
	await repo.insertChallenge(db, {
		id: hashToken(challengeId),
		challenge,
		user_id: userId,
		expires_at: now + CHALLENGE_LIFETIME_MS
	});
	return challengeId;
}

async function takeChallenge(db: Executor, challengeId: string, now: number) {
	if (!CHALLENGE_ID_SHAPE.test(challengeId)) return undefined;
	return repo.takeChallenge(db, hashToken(challengeId), now);
}

export async function listPasskeys(db: Executor, userId: number): Promise<PasskeyDto[]> {
	return (await repo.listUserPasskeys(db, userId)).map((row) => ({
		id: row.id,
		name: row.name,
		createdAt: Number(row.created_at),
		lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at)
	}));
}

export async function beginPasskeyRegistration(
	db: Executor,
	user: SessionUser,
	rp: RelyingParty,
	now = Date.now()
): Promise<
	| { ok: true; challengeId: string; options: PublicKeyCredentialCreationOptionsJSON }
	| Failure<'too_many'>
> {
	const existing = await repo.listUserPasskeys(db, user.id);
	if (existing.length >= MAX_PASSKEYS_PER_USER) {
		return fail('too_many', `At most ${MAX_PASSKEYS_PER_USER} passkeys; remove one first`);
	}
	const options = await generateRegistrationOptions({
		rpName: 'Hearth',
		rpID: rp.id,
		userName: user.username,
		userID: new TextEncoder().encode(`hearth-user-${user.id}`),
		timeout: CEREMONY_TIMEOUT_MS,
		attestationType: 'none',
		excludeCredentials: existing.map((row) => ({ id: row.id })),
		authenticatorSelection: { residentKey: 'required', userVerification: 'required' }
	});
	const challengeId = await newChallenge(db, options.challenge, user.id, now);
	return { ok: true, challengeId, options };
}

export async function finishPasskeyRegistration(
	db: Executor,
	user: SessionUser,
	rp: RelyingParty,
	input: { challengeId: string; name: string; response: RegistrationResponseJSON },
	now = Date.now()
): Promise<{ ok: true; passkey: PasskeyDto } | Failure<'invalid' | 'expired'>> {
	const challenge = await takeChallenge(db, input.challengeId, now);
	if (!challenge || challenge.user_id !== user.id) {
		return fail('expired', 'The passkey request expired; try again');
	}
	let verified;
	try {
		verified = await verifyRegistrationResponse({
			response: input.response,
			expectedChallenge: challenge.challenge,
			expectedOrigin: rp.origin,
			expectedRPID: rp.id,
			requireUserVerification: true
		});
	} catch (error) {
		return fail(
			'invalid',
			`The passkey was not accepted: ${(error as Error).message}`.slice(0, 200)
		);
	}
	if (!verified.verified) return fail('invalid', 'The passkey was not accepted');
	const { credential } = verified.registrationInfo;
	if (await repo.findPasskey(db, credential.id)) {
		return fail('invalid', 'That passkey is already registered');
	}
	const name = input.name.trim().slice(0, 64) || 'Passkey';
	await repo.insertPasskey(db, {
		id: credential.id,
		user_id: user.id,
		name,
		public_key: encodeBase64urlNoPadding(credential.publicKey),
		counter: credential.counter,
		transports: JSON.stringify(credential.transports ?? []),
		created_at: now,
		last_used_at: null
	});
	await recordSecurityEvent(db, {
		kind: 'passkey_added',
		userId: user.id,
		username: user.username,
		detail: name
	});
	return {
		ok: true,
		passkey: { id: credential.id, name, createdAt: now, lastUsedAt: null }
	};
}

export async function beginPasskeySignIn(
	db: Executor,
	rp: RelyingParty,
	now = Date.now()
): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
	const options = await generateAuthenticationOptions({
		rpID: rp.id,
		timeout: CEREMONY_TIMEOUT_MS,
		userVerification: 'required'
	});
	return { challengeId: await newChallenge(db, options.challenge, null, now), options };
}

/** A passkey alone signs in: possession plus the device's user verification are two factors. */
export async function finishPasskeySignIn(
	db: Executor,
	rp: RelyingParty,
	input: {
		challengeId: string;
		response: AuthenticationResponseJSON;
		ip: string;
		userAgent: string | null;
	},
	now = Date.now()
): Promise<SignedIn | Failure<'invalid' | 'expired'>> {
	const challenge = await takeChallenge(db, input.challengeId, now);
	if (!challenge || challenge.user_id !== null) {
		return fail('expired', 'The passkey request expired; try again');
	}
	const invalid = fail('invalid', 'That passkey is not known here');
	const passkey = await repo.findPasskey(db, String(input.response.id).slice(0, 1024));
	if (!passkey) return invalid;
	let verified;
	try {
		verified = await verifyAuthenticationResponse({
			response: input.response,
			expectedChallenge: challenge.challenge,
			expectedOrigin: rp.origin,
			expectedRPID: rp.id,
			requireUserVerification: true,
			credential: {
				id: passkey.id,
				publicKey: new Uint8Array(decodeBase64urlIgnorePadding(passkey.public_key)),
				counter: Number(passkey.counter),
				transports: JSON.parse(passkey.transports) as never
			}
		});
	} catch {
		verified = null;
	}
	if (!verified?.verified) {
		// A known passkey that failed (wrong origin or RP, bad signature): its owner sees it.
		const owner = await findUserById(db, passkey.user_id);
		await recordSecurityEvent(db, {
			kind: 'sign_in_failed',
			userId: passkey.user_id,
			username: owner?.username ?? '',
			ip: input.ip,
			userAgent: input.userAgent,
			detail: `passkey "${passkey.name}" not accepted`
		});
		return fail('invalid', 'The passkey was not accepted');
	}
	await repo.usePasskey(db, passkey.id, verified.authenticationInfo.newCounter, now);
	const user = await findUserById(db, passkey.user_id);
	if (!user) return invalid;
	const { token, session } = await createSession(db, user.id, input.userAgent, now);
	await recordSecurityEvent(db, {
		kind: 'sign_in',
		userId: user.id,
		username: user.username,
		ip: input.ip,
		userAgent: input.userAgent,
		detail: `passkey "${passkey.name}"`
	});
	return {
		ok: true,
		user: { id: user.id, username: user.username, role: user.role },
		token,
		session
	};
}

/**
 * Removes one of the user's passkeys. An account that signs in only with passkeys (no password)
 * keeps its last one.
 */
export async function removePasskey(
	db: Executor,
	user: SessionUser,
	id: string
): Promise<{ ok: true } | Failure<'not_found' | 'last_passkey'>> {
	const passkeys = await repo.listUserPasskeys(db, user.id);
	const target = passkeys.find((p) => p.id === id);
	if (!target) return fail('not_found', 'No such passkey');
	const row = await findUserById(db, user.id);
	if (passkeys.length === 1 && !row?.password_hash) {
		return fail('last_passkey', 'This account has no password: keep at least one passkey');
	}
	if (!(await repo.deleteUserPasskey(db, user.id, id))) return fail('not_found', 'No such passkey');
	await recordSecurityEvent(db, {
		kind: 'passkey_removed',
		userId: user.id,
		username: user.username,
		detail: target.name
	});
	return { ok: true };
}
