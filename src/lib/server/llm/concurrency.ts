// Each provider's concurrency gate, shared by the chat's replies and /v1 requests, fair between
// users: when a slot frees it goes to the waiting user served longest ago (a user never served
// first, ties by arrival), and within one user's waiters in arrival order. So a script with 20
// waiting requests delays another user's single one by at most the slot turn already running.
// A waiter whose signal aborts leaves the queue.

/** Whose turn a waiter counts against: the user id (chat job and /v1 request alike). */
export type GateKey = number | string;

interface Waiter {
	resolve: () => void;
}

export class FairGate {
	private active = 0;
	/** Grants handed out so far: the clock that orders users by when they were last served. */
	private grants = 0;
	/** Waiters per user; a user is present only while it has waiters. */
	private readonly queues = new Map<GateKey, Waiter[]>();
	/** When each user was last granted a slot (bounded by the number of users). */
	private readonly lastGrant = new Map<GateKey, number>();

	constructor(private limit: number) {
		this.limit = Math.max(1, limit);
	}

	setLimit(limit: number) {
		this.limit = Math.max(1, limit);
		this.drain();
	}

	get running() {
		return this.active;
	}

	get waiting() {
		let n = 0;
		for (const queue of this.queues.values()) n += queue.length;
		return n;
	}

	private grant(key: GateKey) {
		this.active++;
		this.lastGrant.set(key, ++this.grants);
	}

	/** The user whose turn it is: served longest ago (never: 0); ties go to the earlier arrival. */
	private nextKey(): GateKey | undefined {
		let chosen: GateKey | undefined;
		let oldest = Infinity;
		for (const key of this.queues.keys()) {
			const last = this.lastGrant.get(key) ?? 0;
			if (last < oldest) {
				oldest = last;
				chosen = key;
			}
		}
		return chosen;
	}

	private drain() {
		while (this.active < this.limit) {
			const key = this.nextKey();
			if (key === undefined) return;
			const queue = this.queues.get(key)!;
			const waiter = queue.shift()!;
			if (queue.length === 0) this.queues.delete(key);
			this.grant(key);
			waiter.resolve();
		}
	}

	private releaser(): () => void {
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.active--;
			this.drain();
		};
	}

	/** A slot now if one is free and nobody waits (so no turn is jumped); else null. */
	tryAcquire(key: GateKey): (() => void) | null {
		if (this.active >= this.limit || this.queues.size > 0) return null;
		this.grant(key);
		return this.releaser();
	}

	/** Resolves with a release function once it is `key`'s turn and a slot is free. */
	async acquire(key: GateKey, signal?: AbortSignal): Promise<() => void> {
		signal?.throwIfAborted();
		const now = this.tryAcquire(key);
		if (now) return now;
		await new Promise<void>((resolve, reject) => {
			const waiter: Waiter = { resolve };
			const queue = this.queues.get(key);
			if (queue) queue.push(waiter);
			else this.queues.set(key, [waiter]);
			signal?.addEventListener(
				'abort',
				() => {
					const mine = this.queues.get(key);
					const i = mine?.indexOf(waiter) ?? -1;
					if (!mine || i < 0) return; // already granted
					mine.splice(i, 1);
					if (mine.length === 0) this.queues.delete(key);
					reject(signal.reason);
				},
				{ once: true }
			);
		});
		return this.releaser();
	}
}
