// Random bearer secrets (session, invite, API tokens) and the only form in which we store them:
// a SHA-256 hex digest, so a leaked database holds nothing that can be replayed. The digest is
// node:crypto's (native): every request with a session or key hashes one, and the pure-JS
// SHA-256 cost ~0.1–0.3 ms a call on a server too quiet for the JIT to warm it.
import { createHash } from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

const TOKEN_BYTES = 20;

export function generateToken(): string {
	const bytes = new Uint8Array(TOKEN_BYTES);
	crypto.getRandomValues(bytes);
	return encodeBase32LowerCaseNoPadding(bytes);
}

export function hashToken(token: string): string {
	return createHash('sha256').update(token, 'utf8').digest('hex');
}
