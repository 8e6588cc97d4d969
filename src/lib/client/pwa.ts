// Registers the service worker through workbox-window and tells the page when a new version is
// waiting; the page offers "Update available — reload" rather than changing under the user.
import { dev } from '$app/environment';

export async function registerServiceWorker(onUpdate: (apply: () => void) => void) {
	if (dev || !('serviceWorker' in navigator)) return;
	const { Workbox } = await import('workbox-window');
	const wb = new Workbox('/service-worker.js');
	wb.addEventListener('waiting', () =>
		onUpdate(() => {
			wb.addEventListener('controlling', () => location.reload());
			wb.messageSkipWaiting();
		})
	);
	await wb.register();
	// Check for a new version whenever the app comes back to the foreground.
	document.addEventListener('visibilitychange', () => {
		if (document.visibilityState === 'visible') void wb.update();
	});
}
