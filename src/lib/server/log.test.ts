import { describe, expect, it } from 'vitest';
import { loggablePath } from '$lib/server/log';

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
