// The Settings switch "Tell me when a reply is ready" for this browser: its state here and on the
// server, turning it on (permission asked only then) or off.
import { api } from '$lib/client/api';
import {
	currentBrowserSubscription,
	notificationPermission,
	pushSupport,
	subscribeBrowser,
	unsubscribeBrowser,
	type PushSupport
} from '$lib/client/push';
import type { PushStatusDto } from '$lib/shared/dto';

class PushStore {
	support = $state<PushSupport>('unsupported');
	/** On: the server sends to this browser's current subscription. */
	enabled = $state(false);
	permission = $state<NotificationPermission>('default');
	loaded = $state(false);
	/** Push needs a secure context: HTTPS, or localhost. */
	secure = $state(true);

	async load() {
		this.support = pushSupport();
		this.secure = window.isSecureContext;
		if (this.support !== 'supported') {
			this.loaded = true;
			return;
		}
		this.permission = notificationPermission();
		const [status, subscription] = await Promise.all([
			api<PushStatusDto>('GET', '/api/push/subscriptions'),
			currentBrowserSubscription()
		]);
		this.enabled =
			status.subscribed &&
			this.permission === 'granted' &&
			subscription?.endpoint === status.endpoint;
		this.loaded = true;
	}

	/** Call from a tap: asks for permission, subscribes, tells the server. Throws why not. */
	async enable() {
		const { publicKey } = await api<{ publicKey: string }>('GET', '/api/push/key');
		const result = await subscribeBrowser(publicKey);
		this.permission = notificationPermission();
		if (!result.ok)
			throw new Error(
				result.reason === 'denied'
					? 'Notifications are blocked for Hearth; allow them in the browser’s site settings.'
					: 'This browser could not subscribe to notifications.'
			);
		await api('POST', '/api/push/subscriptions', result.subscription);
		this.enabled = true;
	}

	async disable() {
		await api('DELETE', '/api/push/subscriptions');
		await unsubscribeBrowser();
		this.enabled = false;
	}
}

export const pushStore = new PushStore();
