// Keeps a scrolling thread at its newest message while the reader is there: content that grows
// (a streaming reply, late layout) is followed; the reader scrolling up stops the following until
// they come back down or ask to jump. Only a scroll upwards right after the reader's own input
// (wheel, touch, keys, scrollbar) counts as leaving: the browser also scrolls by itself (scroll
// anchoring as messages above get their real height), and that must not stop the following.

import { tick } from 'svelte';

/** Within this distance of the end the reader counts as "at the bottom". */
export const BOTTOM_SLACK_PX = 48;
/** A scroll this soon after the reader's input is theirs (touch scrolling coasts on). */
const USER_SCROLL_WINDOW_MS = 1500;
const INPUT_EVENTS = ['wheel', 'touchstart', 'touchmove', 'keydown', 'pointerdown'] as const;

export class ThreadScroll {
	/** The reader sees the end of the thread (the "jump to latest" button hides). */
	atBottom = $state(true);
	private following = true;
	private scroller: HTMLElement | null = null;
	private lastTop = 0;
	private inputAt = -Infinity;

	/** Watches `scroller` and the `content` inside it; returns the cleanup. */
	attach(scroller: HTMLElement, content: HTMLElement): () => void {
		this.scroller = scroller;
		const onInput = () => (this.inputAt = performance.now());
		const onScroll = () => {
			const up = scroller.scrollTop < this.lastTop;
			this.measure();
			if (this.atBottom) this.following = true;
			else if (up && performance.now() - this.inputAt < USER_SCROLL_WINDOW_MS) {
				this.following = false;
			}
		};
		const onResize = () => {
			if (this.following) scroller.scrollTop = scroller.scrollHeight;
			this.measure();
		};
		for (const type of INPUT_EVENTS) scroller.addEventListener(type, onInput, { passive: true });
		scroller.addEventListener('scroll', onScroll, { passive: true });
		const observer = new ResizeObserver(onResize);
		observer.observe(content);
		observer.observe(scroller);
		return () => {
			for (const type of INPUT_EVENTS) scroller.removeEventListener(type, onInput);
			scroller.removeEventListener('scroll', onScroll);
			observer.disconnect();
			this.scroller = null;
		};
	}

	/** Goes to the newest message and follows from there. */
	toBottom() {
		this.following = true;
		if (this.scroller) this.scroller.scrollTop = this.scroller.scrollHeight;
		this.measure();
	}

	/**
	 * Adds messages above the view (`grow`) and keeps the reader on the ones they were reading:
	 * browsers without scroll anchoring (Safari) would otherwise jump by the added height.
	 */
	async prepend(grow: () => void) {
		const s = this.scroller;
		const fromEnd = s ? s.scrollHeight - s.scrollTop : 0;
		grow();
		await tick();
		if (s && this.scroller === s) s.scrollTop = s.scrollHeight - fromEnd;
		this.measure();
	}

	/** Shows `element` in the middle of the view and stops following (a search hit). */
	reveal(element: HTMLElement) {
		this.following = false;
		element.scrollIntoView({ block: 'center' });
		// Messages above it may only now have their real height: centre again once laid out.
		requestAnimationFrame(() => {
			element.scrollIntoView({ block: 'center' });
			this.measure();
		});
	}

	private measure() {
		const s = this.scroller;
		if (!s) return;
		this.lastTop = s.scrollTop;
		this.atBottom = s.scrollHeight - s.scrollTop - s.clientHeight <= BOTTOM_SLACK_PX;
	}
}
