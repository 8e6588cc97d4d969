// The user's conversations as a library: search (on the server, or in the device copy when
// offline), rename, pin, delete with undo, and token/cost totals.
import { api, ApiError } from '$lib/client/api';
import { conversationsStore } from '$lib/stores/conversations.svelte';
import { offlineStore } from '$lib/stores/offline.svelte';
import type { SearchHitDto, UsageReportDto, UserSettingsDto } from '$lib/shared/dto';

/** How long a deleted conversation can be brought back before it is deleted on the server. */
export const UNDO_DELETE_MS = 6000;
const SEARCH_LIMIT = 20;

interface PendingDelete {
	id: number;
	title: string;
	timer: ReturnType<typeof setTimeout>;
}

class LibraryStore {
	query = $state('');
	hits = $state<SearchHitDto[] | null>(null);
	/** The hits came from the device copy (offline). */
	hitsOffline = $state(false);
	searching = $state(false);
	pendingDelete = $state<PendingDelete | null>(null);
	usage = $state<UsageReportDto | null>(null);
	userSettings = $state<UserSettingsDto>({});
	private searchSeq = 0;

	async search(query: string) {
		this.query = query;
		const seq = ++this.searchSeq;
		if (!query.trim()) {
			this.hits = null;
			return;
		}
		this.searching = true;
		let hits: SearchHitDto[];
		let offline = false;
		try {
			if (!navigator.onLine) throw new ApiError(0, 'offline', 'offline');
			const q = encodeURIComponent(query);
			hits = (
				await api<{ hits: SearchHitDto[] }>('GET', `/api/search?q=${q}&limit=${SEARCH_LIMIT}`)
			).hits;
		} catch (error) {
			if (error instanceof ApiError && error.status === 0) {
				hits =
					(await offlineStore.attempt('search the saved conversations', (c, fns) =>
						fns.searchCached(c, query, SEARCH_LIMIT)
					)) ?? [];
				offline = true;
			} else {
				conversationsStore.fail(error);
				hits = [];
			}
		}
		if (seq !== this.searchSeq) return;
		this.hits = hits;
		this.hitsOffline = offline;
		this.searching = false;
	}

	async rename(id: number, title: string) {
		await this.patch(id, { title: title.trim() });
	}

	async togglePin(id: number) {
		const summary = conversationsStore.conversations.find((c) => c.id === id);
		if (summary) await this.patch(id, { pinned: !summary.pinned });
	}

	private async patch(id: number, body: { title?: string; pinned?: boolean }) {
		try {
			await api('PATCH', `/api/conversations/${id}`, body);
			if (conversationsStore.current?.id === id) {
				if (body.title !== undefined) conversationsStore.current.title = body.title;
				if (body.pinned !== undefined) conversationsStore.current.pinned = body.pinned;
			}
			await conversationsStore.loadSidebar();
		} catch (error) {
			conversationsStore.error =
				error instanceof Error ? error.message : 'Could not save the change';
		}
	}

	/** Hides a conversation now and deletes it when the undo window closes. */
	remove(id: number) {
		this.commitDelete();
		const summary = conversationsStore.conversations.find((c) => c.id === id);
		conversationsStore.conversations = conversationsStore.conversations.filter((c) => c.id !== id);
		this.pendingDelete = {
			id,
			title: summary?.title || 'Untitled',
			timer: setTimeout(() => this.commitDelete(), UNDO_DELETE_MS)
		};
	}

	undoDelete() {
		if (!this.pendingDelete) return;
		clearTimeout(this.pendingDelete.timer);
		this.pendingDelete = null;
		void conversationsStore.loadSidebar();
	}

	/** Deletes the conversation waiting for undo now (also when the page is being left). */
	commitDelete(keepalive = false) {
		const pending = this.pendingDelete;
		if (!pending) return;
		clearTimeout(pending.timer);
		this.pendingDelete = null;
		if (keepalive) {
			void fetch(`/api/conversations/${pending.id}`, { method: 'DELETE', keepalive: true });
			return;
		}
		void api('DELETE', `/api/conversations/${pending.id}`)
			.then(async () => {
				await offlineStore.attempt('forget the deleted conversation', (c, fns) =>
					fns.forgetConversation(c, pending.id)
				);
				await conversationsStore.loadSidebar();
			})
			.catch((error: unknown) => {
				conversationsStore.error = error instanceof Error ? error.message : 'Could not delete';
				void conversationsStore.loadSidebar();
			});
	}

	async loadUsage(conversationId?: number) {
		try {
			const query = conversationId ? `?conversationId=${conversationId}` : '';
			this.usage = await api<UsageReportDto>('GET', `/api/usage${query}`);
		} catch {
			// Offline: the totals shown stay as they were.
		}
	}

	async loadUserSettings() {
		this.userSettings = await api<UserSettingsDto>('GET', '/api/me/settings');
	}

	async saveUserSettings(patch: UserSettingsDto) {
		this.userSettings = await api<UserSettingsDto>('PATCH', '/api/me/settings', patch);
	}
}

export const libraryStore = new LibraryStore();
