import { describe, expect, it } from 'vitest';
import { FairGate, type GateKey } from '$lib/server/llm/concurrency';

/** Acquisitions whose grants are recorded in order; each is released by hand. */
function recorder(gate: FairGate) {
	const started: string[] = [];
	const releases = new Map<string, () => void>();
	const take = (key: GateKey, name: string, signal?: AbortSignal) =>
		gate.acquire(key, signal).then((release) => {
			started.push(name);
			releases.set(name, release);
		});
	const release = async (name: string) => {
		releases.get(name)!();
		await flush();
	};
	return { started, take, release };
}

/** Lets resolved grants run their continuations (no timers). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the fair concurrency gate', () => {
	it('grants at once while slots are free, then makes the rest wait', async () => {
		const gate = new FairGate(2);
		const r = recorder(gate);
		void r.take(1, 'a1');
		void r.take(2, 'b1');
		void r.take(1, 'a2');
		await flush();
		expect(r.started).toEqual(['a1', 'b1']);
		expect(gate.running).toBe(2);
		expect(gate.waiting).toBe(1);
		await r.release('b1');
		expect(r.started).toEqual(['a1', 'b1', 'a2']);
	});

	it('hands a slot over at once only while one is free and nobody waits', async () => {
		const gate = new FairGate(2);
		const r = recorder(gate);
		const first = gate.tryAcquire(1);
		expect(first).toBeTypeOf('function');
		void r.take(2, 'b1');
		await flush();
		expect(gate.tryAcquire(1)).toBeNull(); // both slots taken
		void r.take(3, 'c1'); // waits
		first!();
		await flush();
		expect(r.started).toEqual(['b1', 'c1']);
		void r.take(4, 'd1'); // waits behind a full gate
		await r.release('b1');
		expect(r.started).toEqual(['b1', 'c1', 'd1']);
		await r.release('c1');
		void r.take(5, 'e1');
		void r.take(5, 'e2');
		await flush();
		expect(gate.tryAcquire(6)).toBeNull(); // e2 waits: no turn is jumped
		expect(gate.waiting).toBe(1);
	});

	it("serves a user's single request after at most the slot turn already running", async () => {
		const gate = new FairGate(1);
		const r = recorder(gate);
		for (let i = 1; i <= 20; i++) void r.take('script', `s${i}`);
		await flush();
		expect(r.started).toEqual(['s1']);
		void r.take('chat', 'chat');
		await r.release('s1');
		expect(r.started).toEqual(['s1', 'chat']);
		await r.release('chat');
		expect(r.started).toEqual(['s1', 'chat', 's2']);
	});

	it('takes turns round-robin between users with many waiters, each in arrival order', async () => {
		const gate = new FairGate(1);
		const r = recorder(gate);
		void r.take('x', 'x0');
		await flush();
		for (let i = 1; i <= 3; i++) void r.take('a', `a${i}`);
		for (let i = 1; i <= 2; i++) void r.take('b', `b${i}`);
		void r.take('c', 'c1');
		await flush();
		for (const name of ['x0', 'a1', 'b1', 'c1', 'a2', 'b2']) await r.release(name);
		expect(r.started).toEqual(['x0', 'a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
	});

	it('puts a user served long ago ahead of one served just now', async () => {
		const gate = new FairGate(1);
		const r = recorder(gate);
		void r.take('household', 'h1');
		await flush();
		await r.release('h1');
		for (let i = 1; i <= 3; i++) void r.take('script', `s${i}`);
		await flush();
		expect(r.started).toEqual(['h1', 's1']);
		void r.take('household', 'h2');
		await r.release('s1');
		expect(r.started).toEqual(['h1', 's1', 'h2']);
	});

	it('drops an aborted waiter without granting it, and the next one moves up', async () => {
		const gate = new FairGate(1);
		const r = recorder(gate);
		void r.take(1, 'first');
		const impatient = new AbortController();
		const rejected = r.take(2, 'impatient', impatient.signal).catch((e: unknown) => e);
		void r.take(3, 'patient');
		await flush();
		impatient.abort('gave up');
		expect(await rejected).toBe('gave up');
		expect(gate.waiting).toBe(1);
		await r.release('first');
		expect(r.started).toEqual(['first', 'patient']);
	});

	it('refuses an already aborted signal and ignores a second release', async () => {
		const gate = new FairGate(1);
		const r = recorder(gate);
		await expect(gate.acquire(1, AbortSignal.abort('no'))).rejects.toBe('no');
		void r.take(1, 'a');
		void r.take(2, 'b');
		void r.take(3, 'c');
		await flush();
		await r.release('a');
		await r.release('a');
		expect(r.started).toEqual(['a', 'b']);
		expect(gate.running).toBe(1);
	});

	it('grants more waiters when the limit rises', async () => {
		const gate = new FairGate(1);
		const r = recorder(gate);
		for (const name of ['a', 'b', 'c']) void r.take(name, name);
		await flush();
		gate.setLimit(3);
		await flush();
		expect(r.started).toEqual(['a', 'b', 'c']);
	});
});
