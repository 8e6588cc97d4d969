import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from '$lib/server/auth/rate-limit';
import { manualClock } from '../../../../tests/support/clock';

describe('TokenBucketLimiter', () => {
	it('allows a burst up to capacity, then refills over time', () => {
		const c = manualClock(0);
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
