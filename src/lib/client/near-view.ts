// Work that can wait until its element comes near the view: a thread opens at its newest
// message, so rendering the markdown of forty replies above it would block the page at load
// for text nobody sees yet. One IntersectionObserver per scrolling thread tells each element
// once, when it is within a margin of the view (so it is ready before it scrolls in), and one
// element per task, nearest the middle first, so no single task renders a whole screenful.
import { createContext } from 'svelte';

/** How far outside the view (in view heights) an element counts as near. */
const NEAR_MARGIN = '50% 0px';

export interface NearView {
	/**
	 * Calls `onNear` once, when `element` first comes near the view; returns the cancel. The
	 * next element is told in a later task, once the promise `onNear` may return has settled.
	 */
	observe(element: Element, onNear: () => unknown): () => void;
}

/** A NearView for the scrolling `root` it is attached to (elements may register before). */
export class ThreadNearView implements NearView {
	private readonly waiting = new Map<Element, () => unknown>();
	/** Near, not told yet: one is told per task. */
	private due: Element[] = [];
	private timer: ReturnType<typeof setTimeout> | undefined;
	private observer: IntersectionObserver | null = null;

	/** Starts watching inside `root`; returns the cleanup. */
	attach(root: Element): () => void {
		const observer = new IntersectionObserver((records) => this.seen(records), {
			root,
			rootMargin: NEAR_MARGIN
		});
		this.observer = observer;
		for (const element of this.waiting.keys()) observer.observe(element);
		return () => {
			observer.disconnect();
			clearTimeout(this.timer);
			this.timer = undefined;
			this.due = [];
			if (this.observer === observer) this.observer = null;
		};
	}

	observe(element: Element, onNear: () => unknown): () => void {
		this.waiting.set(element, onNear);
		this.observer?.observe(element);
		return () => {
			this.waiting.delete(element);
			this.due = this.due.filter((queued) => queued !== element);
			this.observer?.unobserve(element);
		};
	}

	private seen(records: IntersectionObserverEntry[]) {
		const near = records
			.filter((record) => record.isIntersecting && this.waiting.has(record.target))
			.sort((a, b) => offCentre(a) - offCentre(b));
		for (const record of near) {
			this.due.push(record.target);
			this.observer?.unobserve(record.target);
		}
		this.next();
	}

	private next() {
		if (this.timer !== undefined || this.due.length === 0) return;
		this.timer = setTimeout(() => {
			const element = this.due.shift()!;
			const onNear = this.waiting.get(element);
			this.waiting.delete(element);
			void Promise.resolve(onNear?.())
				.catch(() => {})
				.finally(() => {
					this.timer = undefined;
					this.next();
				});
		});
	}
}

/** The thread's NearView, for the messages inside it; without one, markdown renders at once. */
export const [getNearView, setNearView, hasNearView] = createContext<NearView>();

/** How far an element's middle is from the middle of the (widened) view, in pixels. */
function offCentre(record: IntersectionObserverEntry): number {
	const view = record.rootBounds;
	const box = record.boundingClientRect;
	if (!view) return 0;
	return Math.abs(box.top + box.height / 2 - (view.top + view.height / 2));
}
