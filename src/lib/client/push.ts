// This browser's side of Web Push: whether it can, the permission, and its PushSubscription.
// Permission is only ever asked from `subscribeBrowser`, which the Settings switch calls on a tap.

export type PushSupport = 'supported' | 'unsupported' | 'needs-home-screen';

export interface BrowserSubscriptionJson {
	endpoint: string;
	keys: { p256dh: string; auth: string };
}

/** iPhone and iPad Safari offer Web Push only to the app added to the home screen (iOS 16.4+). */
export function pushSupport(): PushSupport {
	if (typeof window === 'undefined') return 'unsupported';
	const apple = /iPhone|iPad|iPod/.test(navigator.userAgent);
	const standalone = matchMedia('(display-mode: standalone)').matches;
	if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window))
		return apple && !standalone ? 'needs-home-screen' : 'unsupported';
	return 'supported';
}

export function notificationPermission(): NotificationPermission {
	return 'Notification' in window ? Notification.permission : 'denied';
}

/** Hearth's service worker registration, without waiting (none in development). */
async function registration(): Promise<ServiceWorkerRegistration | undefined> {
	return navigator.serviceWorker.getRegistration('/');
}

export async function currentBrowserSubscription(): Promise<PushSubscription | null> {
	if (pushSupport() !== 'supported') return null;
	return (await (await registration())?.pushManager.getSubscription()) ?? null;
}

function toJson(subscription: PushSubscription): BrowserSubscriptionJson {
	const json = subscription.toJSON();
	return {
		endpoint: subscription.endpoint,
		keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' }
	};
}

/**
 * Asks for permission (call from a tap only) and subscribes with the server's VAPID key.
 * Returns why not, when not.
 */
export async function subscribeBrowser(
	publicKey: string
): Promise<
	{ ok: true; subscription: BrowserSubscriptionJson } | { ok: false; reason: 'denied' | 'failed' }
> {
	const permission = await Notification.requestPermission();
	if (permission !== 'granted') return { ok: false, reason: 'denied' };
	try {
		const found = await registration();
		if (!found) return { ok: false, reason: 'failed' };
		const { pushManager } = found;
		let subscription = await pushManager.getSubscription();
		const key = Uint8Array.from(atob(publicKey.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
			c.charCodeAt(0)
		);
		// A subscription made for another server key (a reset server) cannot be reused.
		const sameKey = subscription?.options.applicationServerKey;
		if (subscription && sameKey && !equalBytes(new Uint8Array(sameKey), key)) {
			await subscription.unsubscribe();
			subscription = null;
		}
		subscription ??= await pushManager.subscribe({
			userVisibleOnly: true,
			applicationServerKey: key
		});
		return { ok: true, subscription: toJson(subscription) };
	} catch {
		return { ok: false, reason: 'failed' };
	}
}

function equalBytes(a: Uint8Array, b: Uint8Array) {
	return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Ends this browser's subscription (sign-out, or the switch turned off). */
export async function unsubscribeBrowser(): Promise<void> {
	try {
		await (await currentBrowserSubscription())?.unsubscribe();
	} catch {
		// Nothing to end, or the browser refuses: the server side is what stops the messages.
	}
}
