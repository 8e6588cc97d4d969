// The height the app shell may use: the visual viewport, which shrinks when an on-screen keyboard
// opens even where the browser ignores `interactive-widget=resizes-content` (iOS Safari), so the
// composer stays above the keyboard. Pinch-zoom also shrinks the visual viewport; that is ignored.

const VARIABLE = '--viewport-height';

/** Keeps `--viewport-height` on <html> up to date; returns the cleanup. */
export function trackViewportHeight(): () => void {
	const viewport = window.visualViewport;
	if (!viewport) return () => {};
	const root = document.documentElement;
	const fit = () => {
		if (Math.abs(viewport.scale - 1) > 0.01) return;
		root.style.setProperty(VARIABLE, `${Math.round(viewport.height)}px`);
	};
	fit();
	viewport.addEventListener('resize', fit);
	return () => {
		viewport.removeEventListener('resize', fit);
		root.style.removeProperty(VARIABLE);
	};
}
