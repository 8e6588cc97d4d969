import { describe, expect, it } from 'vitest';
import {
	FailureWindow,
	LoginThrottle,
	LOGIN_FAILURES_PER_IP,
	TokenBucketLimiter
} from '$lib/server/auth/rate-limit';

function clock(start = 0) {
	let now = start;
	return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TokenBucketLimiter', () => {
	it('allows a burst up to capacity, then refills over time', () => {
		const c = clock();
		const limiter = new TokenBucketLimiter({ capacity: 3, refillPerSecond: 1 }, c.now);
		expect([1, 2, 3].map(() => limiter.take('ip').ok)).toEqual([true, true, true]);
		const denied = limiter.take('ip');
		expect(denied).toEqual({ ok: false, retryAfterSeconds: 1 });
		expect(limiter.take('other').ok).toBe(true);
		c.advance(1000);
		expect(limiter.take('ip').ok).toBe(true);
		expect(limiter.take('ip').ok).toBe(false);
	});
});

describe('FailureWindow', () => {
	it('blocks at the limit and forgets failures older than the window', () => {
		const c = clock(10_000);
		const w = new FailureWindow({ limit: 2, windowMs: 60_000 }, c.now);
		w.fail('k');
		c.advance(30_000);
		w.fail('k');
		expect(w.check('k')).toEqual({ ok: false, retryAfterSeconds: 30 });
		c.advance(30_001);
		expect(w.check('k')).toEqual({ ok: true });
		w.reset('k');
		expect(w.check('k').ok).toBe(true);
	});
});

describe('LoginThrottle', () => {
	it('blocks an IP that sprays many accounts', () => {
		const t = new LoginThrottle(clock().now);
		for (let i = 0; i < LOGIN_FAILURES_PER_IP.limit; i++) t.fail(`user${i}`, '9.9.9.9');
		expect(t.check('fresh', '9.9.9.9').ok).toBe(false);
		expect(t.check('fresh', '8.8.8.8').ok).toBe(true);
	});
});
