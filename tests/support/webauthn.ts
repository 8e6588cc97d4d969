// A WebAuthn assertion as a browser would send it, signed by a key the test holds (P-256 or
// Ed25519: a software authenticator's, or the private key of Chromium's virtual one), for any
// origin and RP id.
import { createHash, sign, type KeyObject } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';

/** An assertion as a browser would send it, signed for `origin` and `rpId`. */
export function signedAssertion(
	credentialId: string,
	privateKey: KeyObject,
	challenge: string,
	origin: string,
	rpId: string,
	counter: number
): AuthenticationResponseJSON {
	const clientData = Buffer.from(
		JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false })
	);
	const flags = 0x01 | 0x04; // user present, user verified
	const count = Buffer.alloc(4);
	count.writeUInt32BE(counter);
	const authData = Buffer.concat([
		createHash('sha256').update(rpId).digest(),
		Buffer.from([flags]),
		count
	]);
	// ES256 signs a SHA-256 digest; EdDSA (what Chromium's virtual authenticator picks) none.
	const signature = sign(
		privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256',
		Buffer.concat([authData, createHash('sha256').update(clientData).digest()]),
		privateKey
	);
	return {
		id: credentialId,
		rawId: credentialId,
		type: 'public-key',
		response: {
			clientDataJSON: clientData.toString('base64url'),
			authenticatorData: authData.toString('base64url'),
			signature: signature.toString('base64url')
		},
		clientExtensionResults: {}
	};
}
