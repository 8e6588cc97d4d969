import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import { signedAssertion as assertion } from '../../../../tests/support/webauthn';
import {
	beginPasskeyRegistration,
	beginPasskeySignIn,
	CHALLENGE_LIFETIME_MS,
	finishPasskeySignIn,
	relyingParty,
	removePasskey
} from '$lib/server/services/passkeys';

const RP = relyingParty(null, 'http://localhost:3000');
const JUNK = {
	id: 'AAAA',
	rawId: 'AAAA',
	type: 'public-key',
	response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
	clientExtensionResults: {}
} as AuthenticationResponseJSON;

/** A software authenticator's P-256 key: its COSE public key as stored, and an assertion signer. */
function softwarePasskey() {
	const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const jwk = publicKey.export({ format: 'jwk' });
	const coord = (value: string | undefined) => Buffer.from(value!, 'base64url');
	// COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}, CBOR-encoded.
	const cose = Buffer.concat([
		Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]),
		coord(jwk.x),
		Buffer.from([0x22, 0x58, 0x20]),
		coord(jwk.y)
	]);
	return { privateKey, publicKey: cose.toString('base64url') };
}

describe.each(DIALECTS)('passkeys on %s', (dialect) => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
	});
	afterAll(() => t.close());

	async function user(username: string, passwordHash: string) {
		const row = await t.db
			.insertInto('user')
			.values({ username, password_hash: passwordHash, role: 'user', created_at: 0, updated_at: 0 })
			.returning(['id', 'username', 'role'])
			.executeTakeFirstOrThrow();
		return row;
	}

	async function passkey(userId: number, id: string) {
		await t.db
			.insertInto('passkey')
			.values({
				id,
				user_id: userId,
				name: id,
				public_key: 'AAAA',
				counter: 0,
				transports: '[]',
				created_at: 0,
				last_used_at: null
			})
			.execute();
	}

	it('takes the RP id from ORIGIN, else from the request', () => {
		expect(relyingParty('https://chat.example.com', 'http://127.0.0.1:3000')).toEqual({
			id: 'chat.example.com',
			origin: 'https://chat.example.com'
		});
		expect(RP).toEqual({ id: 'localhost', origin: 'http://localhost:3000' });
	});

	it('a password-less account keeps its last passkey; others remove theirs', async () => {
		const passwordless = await user('pia', '');
		const withPassword = await user('quin', 'argon-hash');
		await passkey(passwordless.id, 'pia-1');
		await passkey(passwordless.id, 'pia-2');
		await passkey(withPassword.id, 'quin-1');
		expect(await removePasskey(t.db, passwordless, 'pia-1')).toEqual({ ok: true });
		expect(await removePasskey(t.db, passwordless, 'pia-2')).toMatchObject({
			code: 'last_passkey'
		});
		// Another user's passkey is not found, and stays.
		expect(await removePasskey(t.db, passwordless, 'quin-1')).toMatchObject({
			code: 'not_found'
		});
		expect(await removePasskey(t.db, withPassword, 'quin-1')).toEqual({ ok: true });
	});

	it('uses each challenge once, before it expires, for its own ceremony only', async () => {
		const now = Date.now();
		const input = (challengeId: string) => ({
			challengeId,
			response: JUNK,
			ip: '192.0.2.1',
			userAgent: null
		});
		const { challengeId } = await beginPasskeySignIn(t.db, RP, now);
		expect(await finishPasskeySignIn(t.db, RP, input(challengeId), now)).toMatchObject({
			code: 'invalid'
		});
		expect(await finishPasskeySignIn(t.db, RP, input(challengeId), now)).toMatchObject({
			code: 'expired'
		});
		const late = await beginPasskeySignIn(t.db, RP, now);
		expect(
			await finishPasskeySignIn(t.db, RP, input(late.challengeId), now + CHALLENGE_LIFETIME_MS)
		).toMatchObject({ code: 'expired' });
		const someone = await user('ray', 'hash');
		const registration = await beginPasskeyRegistration(t.db, someone, RP, now);
		if (!registration.ok) throw new Error(registration.message);
		expect(registration.options.rp.id).toBe('localhost');
		expect(await finishPasskeySignIn(t.db, RP, input(registration.challengeId), now)).toMatchObject(
			{ code: 'expired' }
		);
		for (const bad of ['', 'x', 'A'.repeat(32), 'a'.repeat(10_000)]) {
			expect(await finishPasskeySignIn(t.db, RP, input(bad), now)).toMatchObject({
				code: 'expired'
			});
		}
		expect(await t.db.selectFrom('session').selectAll().execute()).toEqual([]);
	});

	it('an assertion made for another origin is refused: no session, counter kept, a failed sign-in logged', async () => {
		const owner = await user('sol', 'hash');
		const key = softwarePasskey();
		const credentialId = 'c29sLXNvZnR3YXJlLWtleQ';
		await t.db
			.insertInto('passkey')
			.values({
				id: credentialId,
				user_id: owner.id,
				name: 'Sol’s phone',
				public_key: key.publicKey,
				counter: 0,
				transports: '[]',
				created_at: 0,
				last_used_at: null
			})
			.execute();
		await t.db.deleteFrom('session').execute();
		const attempt = async (origin: string, rpId: string, counter: number) => {
			const { challengeId, options } = await beginPasskeySignIn(t.db, RP);
			const response = assertion(
				credentialId,
				key.privateKey,
				options.challenge,
				origin,
				rpId,
				counter
			);
			return finishPasskeySignIn(t.db, RP, {
				challengeId,
				response,
				ip: '198.51.100.7',
				userAgent: 'test'
			});
		};

		for (const [origin, rpId] of [
			['https://evil.example', RP.id],
			['http://localhost:3001', RP.id],
			[RP.origin, 'evil.example']
		] as const) {
			expect(await attempt(origin, rpId, 5), origin + rpId).toMatchObject({
				ok: false,
				code: 'invalid'
			});
		}
		expect(await t.db.selectFrom('session').selectAll().execute()).toEqual([]);
		const stored = await t.db
			.selectFrom('passkey')
			.select(['counter', 'last_used_at'])
			.where('id', '=', credentialId)
			.executeTakeFirstOrThrow();
		expect({ counter: Number(stored.counter), lastUsed: stored.last_used_at }).toEqual({
			counter: 0,
			lastUsed: null
		});
		const events = await t.db
			.selectFrom('security_event')
			.select(['kind', 'user_id', 'detail', 'ip'])
			.where('user_id', '=', owner.id)
			.execute();
		expect(events).toHaveLength(3);
		for (const event of events)
			expect(event).toMatchObject({
				kind: 'sign_in_failed',
				detail: 'passkey "Sol’s phone" not accepted',
				ip: '198.51.100.7'
			});

		// The same authenticator, for the right origin, signs in: the refusals were the origin's.
		expect(await attempt(RP.origin, RP.id, 6)).toMatchObject({ ok: true });
		expect(await t.db.selectFrom('session').selectAll().execute()).toHaveLength(1);
	});
});
