// The offline side of the chat screen: whose device copy is used, whether the network is there,
// the outbox of messages written offline (sent once when the network is back), the sync that
// keeps the device copy up to date, and what went wrong with the copy. Every read or write of
// the device copy goes through `attempt`, so a failure is reported (a notice and the console)
// and the screen goes on from the network. The copy's module (and Dexie, about 32 KB gzipped)
// loads on the first such call, not with the chat page.
import { api } from '$lib/client/api';
import { whenIdle } from '$lib/client/idle';
import { readCacheSettings } from '$lib/client/device-cache-settings';
import type { DeviceCache, OutboxFile, OutboxItem, SyncPage } from '$lib/client/device-cache';
import type { DeviceUser } from '$lib/client/identity';
import type { ConversationDto } from '$lib/shared/dto';

/** The Background Sync tag the service worker answers by sending the outbox. */
const OUTBOX_SYNC_TAG = 'hearth-outbox';

/**
 * The device copy's functions (src/lib/client/device-cache.ts), loaded on first use once the
 * browser is idle: while a page draws its first screen the module would compete with the
 * conversation for the network and the main thread. Offline, or waiting on a slow network, the
 * page is idle at once, so the device copy still shows without delay.
 */
export type DeviceCacheFns = typeof import('$lib/client/device-cache');
let loading: Promise<DeviceCacheFns> | null = null;
function loadDeviceCache(): Promise<DeviceCacheFns> {
	loading ??= whenIdle()
		.then(() => import('$lib/client/device-cache'))
		.catch((error: unknown) => {
			loading = null; // (a failed load, e.g. offline before it was cached, is tried again)
			throw error;
		});
	return loading;
}

class OfflineStore {
	online = $state(true);
	/** Messages written offline for the open conversation, waiting to be sent. */
	outbox = $state<OutboxItem[]>([]);
	/** The device copy failed (shown once until dismissed; details go to the console). */
	warning = $state<string | null>(null);
	private currentUser: () => DeviceUser | null = () => null;
	private persistAsked = false;

	/** Who is signed in (read from the layout's data); their device cache is used unless off. */
	setUser(user: () => DeviceUser | null) {
		this.currentUser = user;
	}

	get user(): DeviceUser | null {
		return this.currentUser();
	}

	/** Whether this user keeps a device copy (signed in, IndexedDB there, the copy not turned off). */
	enabled(): boolean {
		return (
			!!this.user && typeof indexedDB !== 'undefined' && readCacheSettings(this.user.id).enabled
		);
	}

	/**
	 * Runs `work` on the device copy, given the copy and its functions. Resolves to its result, or
	 * to undefined when there is no copy or it failed — a failure is reported, never thrown and
	 * never silent.
	 */
	async attempt<T>(
		what: string,
		work: (cache: DeviceCache, fns: DeviceCacheFns) => Promise<T>
	): Promise<T | undefined> {
		const user = this.user;
		if (!user || !this.enabled()) return undefined;
		if (!this.persistAsked) {
			// Ask the browser not to evict the offline copy under storage pressure (Chrome grants
			// it to installed apps; elsewhere it stays best-effort).
			this.persistAsked = true;
			void navigator.storage?.persist?.().catch(() => false);
		}
		try {
			const fns = await loadDeviceCache();
			return await work(fns.deviceCache(user.id), fns);
		} catch (error) {
			this.report(what, error);
			return undefined;
		}
	}

	/** A device-copy failure: to the console with its cause, and to the screen in words. */
	report(what: string, error: unknown) {
		console.warn(`Hearth: the offline copy on this device could not ${what}.`, error);
		this.warning = `The offline copy on this device could not ${what}${
			error instanceof Error && error.message ? ` (${error.message})` : ''
		}. Hearth keeps working online.`;
	}

	/** Tracks the network; `onBack` runs when it returns (or the service worker sent the outbox). */
	watchNetwork(onBack: () => void): () => void {
		this.online = navigator.onLine;
		const online = () => {
			this.online = true;
			onBack();
		};
		const offline = () => (this.online = false);
		const message = (event: MessageEvent) => {
			if ((event.data as { type?: string } | null)?.type === 'outbox-flushed') onBack();
		};
		window.addEventListener('online', online);
		window.addEventListener('offline', offline);
		navigator.serviceWorker?.addEventListener('message', message);
		return () => {
			window.removeEventListener('online', online);
			window.removeEventListener('offline', offline);
			navigator.serviceWorker?.removeEventListener('message', message);
		};
	}

	/** Sends what the outbox holds; resolves to how many messages went. */
	async sendOutbox(): Promise<number> {
		return (
			(await this.attempt('send the messages written offline', async (c) => {
				const { flushOutbox } = await import('$lib/client/outbox');
				return flushOutbox(c, fetch);
			})) ?? 0
		);
	}

	/** Shows the outbox of one conversation (none: `null`). */
	async loadOutbox(conversationId: number | null) {
		const items =
			conversationId === null
				? []
				: await this.attempt('read the messages waiting to be sent', (c, fns) =>
						fns.outboxOf(c, conversationId)
					);
		this.outbox = items ?? [];
	}

	/** Keeps a message written offline; resolves to whether it was kept. */
	async queue(
		conversationId: number,
		message: {
			content: string;
			parentId: number | null;
			model: string | null;
			files?: OutboxFile[];
		}
	): Promise<boolean> {
		const kept = await this.attempt('keep the message to send later', async (c, fns) => {
			const { parentId, files = [], ...rest } = message;
			await fns.queueMessage(
				c,
				{
					...rest,
					clientId: crypto.randomUUID(),
					conversationId,
					createdAt: Date.now(),
					...(files.length > 0 ? { files } : {})
				},
				parentId
			);
			return true;
		});
		if (!kept) return false;
		await this.loadOutbox(conversationId);
		await requestBackgroundSync();
		return true;
	}

	/** Keeps a conversation on the device as it is now (`opened`: it was opened just now). */
	async save(conversation: ConversationDto, opened = true) {
		await this.attempt('save this conversation', (c, fns) =>
			fns.storeConversation(c, conversation, opened)
		);
	}

	/** Keeps a small copy of an image shown in a conversation, once (it shows offline). */
	async keepThumbnail(image: HTMLImageElement, attachmentId: string, conversationId: number) {
		await this.attempt('keep a thumbnail of an image', async (c, fns) => {
			if (await fns.hasThumbnail(c, attachmentId)) return;
			const { makeThumbnail } = await import('$lib/client/thumbnail');
			const blob = await makeThumbnail(image);
			await fns.keepThumbnail(c, { id: attachmentId, conversationId, blob });
		});
	}

	/** The kept thumbnail of an attachment, as a new object URL (the caller revokes it), or null. */
	async thumbnailUrl(attachmentId: string): Promise<string | null> {
		const blob = await this.attempt('read a thumbnail', (c, fns) =>
			fns.thumbnailOf(c, attachmentId)
		);
		return blob ? URL.createObjectURL(blob) : null;
	}

	/** Brings the device copy up to date: only conversations changed since the last sync. */
	async sync() {
		const user = this.user;
		if (!user || !this.enabled()) return;
		const limit = readCacheSettings(user.id).limit;
		const local = await this.attempt('read what it holds', async (c, fns) => ({
			have: (await fns.cachedIds(c)).join(','),
			since: await fns.syncCursor(c)
		}));
		if (!local) return;
		let page: SyncPage;
		try {
			page = await api<SyncPage>(
				'GET',
				`/api/sync?since=${local.since}&limit=${limit}${local.have ? `&have=${local.have}` : ''}`
			);
		} catch {
			return; // Offline or a server hiccup: the next sync catches up from the same cursor.
		}
		await this.attempt('save the latest changes', async (c, fns) => {
			await fns.applySync(c, page);
			await fns.evict(c, limit);
		});
	}
}

/** Asks the service worker to send the outbox when the network returns, even if Hearth is closed. */
async function requestBackgroundSync() {
	try {
		const registration = await navigator.serviceWorker?.ready;
		const sync = (registration as { sync?: { register(tag: string): Promise<void> } } | undefined)
			?.sync;
		await sync?.register(OUTBOX_SYNC_TAG);
	} catch {
		// No Background Sync here: the online event or the next app start sends it.
	}
}

export const offlineStore = new OfflineStore();
