/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// Hearth's service worker (Workbox): precaches the app shell only — the hashed build, the static
// files and one user-free HTML shell. /api, sign-in pages and per-user page data are never cached:
// they go to the network, and a navigation that cannot reach it gets the shell, which opens
// conversations from the device cache. A new version waits until the user chooses to reload.
// Background Sync sends the outbox while Hearth is closed.
import { build, files, version } from '$service-worker';
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute, setCatchHandler } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';
import { deviceCache, deviceUserIds, unsentOutbox } from '$lib/client/device-cache';
import { flushOutbox } from '$lib/client/outbox';

declare const self: ServiceWorkerGlobalScope;

const SHELL = '/shell';

precacheAndRoute([
	// Hashed file names are their own revision.
	...build.map((url) => ({ url, revision: url.includes('/immutable/') ? null : version })),
	...files.map((url) => ({ url, revision: version })),
	{ url: SHELL, revision: version }
]);
cleanupOutdatedCaches();

registerRoute(new NavigationRoute(new NetworkOnly()));
setCatchHandler(async ({ request }) => {
	if (request.mode === 'navigate') return (await matchPrecache(SHELL)) ?? Response.error();
	return Response.error();
});

self.addEventListener('message', (event) => {
	if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

interface SyncEvent extends ExtendableEvent {
	tag: string;
}

self.addEventListener('sync', ((event: SyncEvent) => {
	if (event.tag === 'hearth-outbox') event.waitUntil(sendOutboxes());
}) as EventListener);

/** Sends every outbox on this device; rejects while some remain, so the browser retries later. */
async function sendOutboxes() {
	let sent = 0;
	let left = 0;
	for (const userId of await deviceUserIds()) {
		const cache = deviceCache(userId);
		sent += await flushOutbox(cache, fetch);
		left += (await unsentOutbox(cache)).length;
	}
	if (sent > 0) {
		for (const client of await self.clients.matchAll({ type: 'window' }))
			client.postMessage({ type: 'outbox-flushed' });
	}
	if (left > 0) throw new Error(`${left} message(s) still waiting to be sent`);
}

// Web Push: "your reply is ready" (services/push.ts sends it; PushNotificationDto is its shape).
// The payload is the server's, but only a same-origin conversation path is ever opened.
const CONVERSATION_PATH = /^\/c\/\d+$/;

interface ReplyNotification {
	title: string;
	body: string;
	url: string;
	tag: string;
}

function readNotification(event: PushEvent): ReplyNotification {
	let data: Partial<ReplyNotification> = {};
	try {
		data = (event.data?.json() ?? {}) as Partial<ReplyNotification>;
	} catch {
		// Not JSON: show the generic notification below.
	}
	const url = typeof data.url === 'string' && CONVERSATION_PATH.test(data.url) ? data.url : '/';
	return {
		title: typeof data.title === 'string' && data.title ? data.title : 'Hearth',
		body: typeof data.body === 'string' ? data.body : 'Your reply is ready',
		url,
		tag: typeof data.tag === 'string' ? data.tag : url
	};
}

self.addEventListener('push', (event) => {
	const notification = readNotification(event);
	event.waitUntil(
		self.registration.showNotification(notification.title, {
			body: notification.body,
			tag: notification.tag,
			icon: '/icons/pwa-192x192.png',
			badge: '/icons/pwa-64x64.png',
			data: { url: notification.url }
		})
	);
});

/** Brings Hearth to the conversation: a window already on it, else any Hearth window, else a new one. */
async function openConversation(path: string) {
	const url = new URL(CONVERSATION_PATH.test(path) ? path : '/', self.location.origin).href;
	const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
	const showing = windows.find((client) => client.url === url);
	if (showing) return showing.focus();
	const other = windows[0];
	if (other) {
		const moved = (await other.navigate(url).catch(() => null)) ?? other;
		return moved.focus().catch(() => moved);
	}
	return self.clients.openWindow(url);
}

self.addEventListener('notificationclick', (event) => {
	event.notification.close();
	const data = event.notification.data as { url?: unknown } | null;
	event.waitUntil(openConversation(typeof data?.url === 'string' ? data.url : '/'));
});
