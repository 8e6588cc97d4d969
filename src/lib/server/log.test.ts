import { describe, expect, it } from 'vitest';
import { loggablePath, serializeError } from '$lib/server/log';

describe('loggablePath', () => {
	it('replaces the token of an invite link', () => {
		expect(loggablePath('/invite/abcdefghijklmnopqrstuvwxyz234567')).toBe('/invite/[redacted]');
		expect(loggablePath('/invite/abcdefghijklmnopqrstuvwxyz234567/x')).toBe('/invite/[redacted]/x');
	});

	it('leaves other paths alone', () => {
		for (const path of ['/', '/c/12', '/api/jobs/3/events', '/invite', '/x/invite/abc'])
			expect(loggablePath(path)).toBe(path);
	});
});

describe('serializeError', () => {
	it('removes key-shaped strings from an error message and stack', () => {
		const error = new Error('upstream said: Authorization: Bearer sk-live0123456789abcdef');
		const logged = serializeError(error) as { message: string; stack: string; type: string };
		expect(logged.type).toBe('Error');
		expect(logged.message).not.toContain('sk-live0123456789abcdef');
		expect(logged.stack).not.toContain('sk-live0123456789abcdef');
		expect(logged.message).toContain('[redacted]');
	});
});

describe('API keys in logs', () => {
	it('redacts a Hearth API key in an error, bare or as a bearer header', () => {
		const key = 'hth_' + 'Ab3_'.repeat(10) + 'xY9';
		for (const text of [`bad key ${key}`, `authorization: Bearer ${key}`]) {
			const logged = serializeError(new Error(text)) as { message: string; stack: string };
			expect(logged.message).not.toContain(key.slice(4, 20));
			expect(logged.stack).not.toContain(key.slice(4, 20));
		}
	});
});
