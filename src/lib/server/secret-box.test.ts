import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSecret, sealSecret } from '$lib/server/secret-box';

const key = randomBytes(32);
const binding = { userId: null, providerId: 7, origin: 'https://api.openai.com' };

describe('secret box', () => {
	it('round-trips, with a fresh IV each time and no plaintext in the output', () => {
		const a = sealSecret(key, 'sk-live-abcdef123456', binding);
		const b = sealSecret(key, 'sk-live-abcdef123456', binding);
		expect(a).not.toBe(b);
		expect(a).not.toContain('abcdef');
		expect(openSecret(key, a, binding)).toBe('sk-live-abcdef123456');
	});

	it('detects tampering, a wrong key, and a different binding', () => {
		const sealed = sealSecret(key, 'sk-live-abcdef123456', binding);
		const [v, iv, body] = sealed.split('.') as [string, string, string];
		const flipped = Buffer.from(body, 'base64url');
		flipped[0] = flipped[0]! ^ 1;
		expect(openSecret(key, `${v}.${iv}.${flipped.toString('base64url')}`, binding)).toBeNull();
		expect(openSecret(randomBytes(32), sealed, binding)).toBeNull();
		expect(openSecret(key, sealed, { ...binding, origin: 'https://evil.example' })).toBeNull();
		expect(openSecret(key, sealed, { ...binding, providerId: 8 })).toBeNull();
		expect(openSecret(key, sealed, { ...binding, userId: 1 })).toBeNull();
		expect(openSecret(key, 'garbage', binding)).toBeNull();
	});
});
