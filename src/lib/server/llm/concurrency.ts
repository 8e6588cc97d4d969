// A counting semaphore per provider: replies beyond its limit wait in order (FIFO), and a waiter
// whose signal aborts leaves the queue.
export class Semaphore {
	private active = 0;
	private readonly waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

	constructor(private limit: number) {}

	setLimit(limit: number) {
		this.limit = Math.max(1, limit);
		this.drain();
	}

	get running() {
		return this.active;
	}

	get waiting() {
		return this.waiters.length;
	}

	private drain() {
		while (this.active < this.limit && this.waiters.length > 0) {
			this.active++;
			this.waiters.shift()!.resolve();
		}
	}

	/** A release function if a slot is free right now (and nobody is waiting), else null. */
	tryAcquire(): (() => void) | null {
		if (this.active >= this.limit || this.waiters.length > 0) return null;
		this.active++;
		return this.releaser();
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

	/** Resolves with a release function once a slot is free. */
	async acquire(signal?: AbortSignal): Promise<() => void> {
		signal?.throwIfAborted();
		if (this.active < this.limit && this.waiters.length === 0) {
			this.active++;
		} else {
			await new Promise<void>((resolve, reject) => {
				const waiter = { resolve, reject };
				this.waiters.push(waiter);
				signal?.addEventListener(
					'abort',
					() => {
						const i = this.waiters.indexOf(waiter);
						if (i >= 0) {
							this.waiters.splice(i, 1);
							reject(signal.reason);
						}
					},
					{ once: true }
				);
			});
		}
		return this.releaser();
	}
}
