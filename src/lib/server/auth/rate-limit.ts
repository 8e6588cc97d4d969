// In-memory token buckets for request rates (per client IP, per user), bounded in size so a
// flood cannot grow memory. Password attempts are counted elsewhere: auth/login-throttle.ts.
const MAX_TRACKED_KEYS = 10_000;

function evictOldest<K, V>(map: Map<K, V>): void {
	while (map.size > MAX_TRACKED_KEYS) {
		const oldest = map.keys().next();
		if (oldest.done) return;
		map.delete(oldest.value);
	}
}

export type LimitResult = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface TokenBucketOptions {
	capacity: number;
	refillPerSecond: number;
}

export class TokenBucketLimiter {
	private readonly buckets = new Map<string, { tokens: number; at: number }>();

	constructor(
		private readonly options: TokenBucketOptions,
		private readonly now: () => number = Date.now
	) {}

	take(key: string): LimitResult {
		const { capacity, refillPerSecond } = this.options;
		const now = this.now();
		const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
		bucket.tokens = Math.min(
			capacity,
			bucket.tokens + ((now - bucket.at) / 1000) * refillPerSecond
		);
		bucket.at = now;
		this.buckets.delete(key);
		this.buckets.set(key, bucket);
		evictOldest(this.buckets);
		if (bucket.tokens < 1) {
			return { ok: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / refillPerSecond) };
		}
		bucket.tokens -= 1;
		return { ok: true };
	}
}

export const REQUESTS_PER_IP = { capacity: 240, refillPerSecond: 4 } as const;
export const REQUESTS_PER_USER = { capacity: 240, refillPerSecond: 4 } as const;

/** Buckets whose rate each caller names (a key's own requests per minute), one limiter per rate. */
export class PerMinuteLimiter {
	private readonly limiters = new Map<number, TokenBucketLimiter>();

	constructor(private readonly now: () => number = Date.now) {}

	take(key: string, perMinute: number): LimitResult {
		let limiter = this.limiters.get(perMinute);
		if (!limiter) {
			limiter = new TokenBucketLimiter(
				{ capacity: perMinute, refillPerSecond: perMinute / 60 },
				this.now
			);
			this.limiters.set(perMinute, limiter);
		}
		return limiter.take(key);
	}
}
