// In-memory limits: token buckets for request rates (per client IP, per user) and a sliding
// window of failed logins (per account, per IP). Bounded in size so a flood cannot grow memory.
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

export interface FailureWindowOptions {
	limit: number;
	windowMs: number;
}

/** Counts failures per key inside a sliding window; blocked once `limit` is reached. */
export class FailureWindow {
	private readonly failures = new Map<string, number[]>();

	constructor(
		private readonly options: FailureWindowOptions,
		private readonly now: () => number = Date.now
	) {}

	private recent(key: string): number[] {
		const cutoff = this.now() - this.options.windowMs;
		const times = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
		if (times.length === 0) this.failures.delete(key);
		else this.failures.set(key, times);
		return times;
	}

	check(key: string): LimitResult {
		const times = this.recent(key);
		if (times.length < this.options.limit) return { ok: true };
		const oldest = times[times.length - this.options.limit] ?? this.now();
		const retryMs = oldest + this.options.windowMs - this.now();
		return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)) };
	}

	fail(key: string): void {
		const times = this.recent(key);
		times.push(this.now());
		this.failures.delete(key);
		this.failures.set(key, times.slice(-this.options.limit));
		evictOldest(this.failures);
	}

	reset(key: string): void {
		this.failures.delete(key);
	}
}

export const LOGIN_FAILURES_PER_ACCOUNT = { limit: 5, windowMs: 15 * 60_000 } as const;
export const LOGIN_FAILURES_PER_IP = { limit: 30, windowMs: 15 * 60_000 } as const;
export const REQUESTS_PER_IP = { capacity: 240, refillPerSecond: 4 } as const;
export const REQUESTS_PER_USER = { capacity: 240, refillPerSecond: 4 } as const;

/** Throttles password attempts by account name (known or not) and by client IP. */
export class LoginThrottle {
	private readonly byAccount: FailureWindow;
	private readonly byIp: FailureWindow;

	constructor(now: () => number = Date.now) {
		this.byAccount = new FailureWindow(LOGIN_FAILURES_PER_ACCOUNT, now);
		this.byIp = new FailureWindow(LOGIN_FAILURES_PER_IP, now);
	}

	check(username: string, ip: string): LimitResult {
		const account = this.byAccount.check(username);
		return account.ok ? this.byIp.check(ip) : account;
	}

	fail(username: string, ip: string): void {
		this.byAccount.fail(username);
		this.byIp.fail(ip);
	}

	succeed(username: string): void {
		this.byAccount.reset(username);
	}
}
