import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { ThreadNearView } from '$lib/client/near-view';

/** The browser's IntersectionObserver, reduced to what ThreadNearView uses; tests call `fire`. */
class FakeObserver {
	static last: FakeObserver;
	readonly watched = new Set<object>();
	constructor(readonly callback: (records: IntersectionObserverEntry[]) => void) {
		FakeObserver.last = this;
	}
	observe(element: object) {
		this.watched.add(element);
	}
	unobserve(element: object) {
		this.watched.delete(element);
	}
	disconnect() {
		this.watched.clear();
	}
	/** Elements near the view, each with the top of its box (the view is 0–1000 px). */
	fire(near: [object, number][]) {
		this.callback(
			near.map(([target, top]) => ({
				target,
				isIntersecting: true,
				boundingClientRect: { top, height: 100 },
				rootBounds: { top: 0, height: 1000 }
			})) as unknown as IntersectionObserverEntry[]
		);
	}
}

beforeEach(() => {
	vi.useFakeTimers();
	vi.stubGlobal('IntersectionObserver', FakeObserver);
});
afterEach(() => {
	vi.useRealTimers();
	vi.unstubAllGlobals();
});

it('tells near elements once each, one a task, the one nearest the middle first', async () => {
	const view = new ThreadNearView();
	const told: string[] = [];
	const [top, middle, bottom] = [{}, {}, {}] as Element[];
	view.observe(top!, () => told.push('top'));
	view.observe(middle!, () => told.push('middle'));
	view.observe(bottom!, () => told.push('bottom'));
	view.attach({} as Element);
	expect(FakeObserver.last.watched.size).toBe(3);

	FakeObserver.last.fire([
		[top!, -300],
		[bottom!, 1300],
		[middle!, 450]
	]);
	expect(told).toEqual([]);
	await vi.runOnlyPendingTimersAsync();
	expect(told).toEqual(['middle']);
	await vi.runOnlyPendingTimersAsync();
	expect(told).toEqual(['middle', 'top']);
	await vi.runAllTimersAsync();
	expect(told).toEqual(['middle', 'top', 'bottom']);
	expect(FakeObserver.last.watched.size).toBe(0);

	// Told once: coming near again says nothing.
	FakeObserver.last.fire([[middle!, 450]]);
	await vi.runAllTimersAsync();
	expect(told).toHaveLength(3);
});

it('waits for the work an element starts before telling the next, and forgets cancelled ones', async () => {
	const view = new ThreadNearView();
	const told: string[] = [];
	let finish!: () => void;
	const [a, b, c] = [{}, {}, {}] as Element[];
	view.attach({} as Element);
	view.observe(a!, () => {
		told.push('a');
		return new Promise<void>((resolve) => (finish = resolve));
	});
	view.observe(b!, () => told.push('b'));
	const cancel = view.observe(c!, () => told.push('c'));
	FakeObserver.last.fire([
		[a!, 450],
		[b!, 600],
		[c!, 800]
	]);
	cancel();
	await vi.runAllTimersAsync();
	expect(told).toEqual(['a']);
	finish();
	await vi.runAllTimersAsync();
	expect(told).toEqual(['a', 'b']);
});
