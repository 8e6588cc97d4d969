// AES-256-GCM for API keys (and TOTP secrets) at rest: random 96-bit IV per value, and additional authenticated data
// that binds the ciphertext to its owner, provider and origin, so a ciphertext copied to another
// row (or kept after the base URL changed) does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface KeyBinding {
	userId: number | null;
	providerId: number;
	origin: string;
}

/** A user's authenticator-app (TOTP) secret. */
export interface TotpBinding {
	purpose: 'totp';
	userId: number;
}

export type SecretBinding = KeyBinding | TotpBinding;

function aad(binding: SecretBinding): Buffer {
	if ('purpose' in binding) return Buffer.from(`hearth/totp/${binding.userId}`);
	return Buffer.from(
		`hearth/provider-key/${binding.userId ?? 'shared'}/${binding.providerId}/${binding.origin}`
	);
}

export function sealSecret(key: Buffer, plaintext: string, binding: SecretBinding): string {
	const iv = randomBytes(IV_BYTES);
	const cipher = createCipheriv('aes-256-gcm', key, iv);
	cipher.setAAD(aad(binding));
	const body = Buffer.concat([
		cipher.update(plaintext, 'utf8'),
		cipher.final(),
		cipher.getAuthTag()
	]);
	return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** null when the value was tampered with, sealed under another key, or bound elsewhere. */
export function openSecret(key: Buffer, sealed: string, binding: SecretBinding): string | null {
	const [version, ivText, bodyText] = sealed.split('.');
	if (version !== VERSION || !ivText || !bodyText) return null;
	const iv = Buffer.from(ivText, 'base64url');
	const body = Buffer.from(bodyText, 'base64url');
	if (iv.length !== IV_BYTES || body.length < TAG_BYTES) return null;
	try {
		const decipher = createDecipheriv('aes-256-gcm', key, iv);
		decipher.setAAD(aad(binding));
		decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
		return Buffer.concat([
			decipher.update(body.subarray(0, body.length - TAG_BYTES)),
			decipher.final()
		]).toString('utf8');
	} catch {
		return null;
	}
}

export function lastFour(secret: string): string {
	return secret.slice(-4);
}
