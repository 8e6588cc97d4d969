// The conversations on the chat screen: the list in the sidebar (with the user's running
// replies), the open conversation and the branch on screen, the models to pick from, and the
// draft settings of a conversation not yet started. Read from the device copy first when there
// is one (src/lib/stores/offline.svelte.ts), then from the server. The live replies are
// src/lib/stores/replies.svelte.ts's.
import { api, ApiError } from '$lib/client/api';
import { wipeDevice } from '$lib/client/identity';
import { choicesFor, threadOf, type BranchChoices, type ThreadEntry } from '$lib/client/thread';
import { offlineStore } from '$lib/stores/offline.svelte';
import type {
	ConversationDto,
	ConversationSettingsDto,
	ConversationSummaryDto,
	JobDto,
	MessageDto
} from '$lib/shared/dto';

/** What a new conversation starts with (set by slash commands before the first message). */
export interface ConversationDraft {
	settings: ConversationSettingsDto;
	systemPrompt: string | null;
}

/** A conversation asked for while its page loaded is used by open() only this soon after. */
const PREFETCH_FRESH_MS = 5_000;

export interface ModelGroup {
	id: string;
	name: string;
	source: 'live' | 'fallback';
	error?: { code: string; message: string };
	models: { id: string; vision?: boolean }[];
}

class ConversationsStore {
	conversations = $state<ConversationSummaryDto[]>([]);
	/** The user's replies in progress (shown in the sidebar). */
	jobs = $state<JobDto[]>([]);
	current = $state<ConversationDto | null>(null);
	models = $state<ModelGroup[]>([]);
	/** The model list has been answered (or read from the device while offline). */
	modelsLoaded = $state(false);
	/** The model list is the device's last known one: the server could not be asked. */
	modelsOffline = $state(false);
	model = $state<string | null>(null);
	/** The admin's model for new chats, when set (Admin → Local models). */
	defaultModel = $state<string | null>(null);
	error = $state<string | null>(null);
	/** Which sibling is on screen at each fork of the open conversation. */
	choices = $state<BranchChoices>({});
	draft = $state<ConversationDraft>({ settings: {}, systemPrompt: null });

	/** The branch on screen, from the root down, with each message's siblings. */
	get entries(): ThreadEntry[] {
		return threadOf(this.current?.messages ?? [], this.choices);
	}

	get thread(): MessageDto[] {
		return this.entries.map((e) => e.message);
	}

	get activeJobId(): number | undefined {
		return this.thread.findLast((m) => m.jobId !== undefined)?.jobId;
	}

	/** Puts `messageId` and the messages above it on screen. */
	showMessage(messageId: number) {
		const wanted = choicesFor(this.current?.messages ?? [], messageId);
		// Assign only on a change: callers run inside effects, and a fresh object every time
		// would re-run them without end (effect_update_depth_exceeded).
		if (Object.entries(wanted).some(([fork, id]) => this.choices[fork] !== id))
			this.choices = { ...this.choices, ...wanted };
	}

	/** Shows the previous (-1) or next (+1) sibling at a fork. */
	showSibling(entry: ThreadEntry, step: -1 | 1) {
		const id = entry.siblings[entry.index + step];
		if (id !== undefined) this.showMessage(id);
	}

	/** Shows an error (a 401 signs this device out). Used by every store of the chat screen. */
	fail(error: unknown) {
		if (error instanceof ApiError && error.status === 401) {
			// The session ended (expired, or signed out elsewhere): forget this user here too.
			void wipeDevice().then(() => location.assign('/login'));
			return;
		}
		this.error =
			error instanceof ApiError || error instanceof Error ? error.message : 'Something went wrong';
	}

	/** Shows the list saved on the device while the server's is on its way (only if none yet). */
	async showSavedList() {
		if (this.conversations.length > 0) return;
		const saved = await offlineStore.attempt('read the conversation list', (c, fns) =>
			fns.cachedSummaries(c)
		);
		if (saved && saved.length > 0 && this.conversations.length === 0) this.conversations = saved;
	}

	/** The conversation list and the running replies from the server. */
	async loadSidebar() {
		await this.showSavedList();
		try {
			const [list, jobs] = await Promise.all([
				api<{ conversations: ConversationSummaryDto[] }>('GET', '/api/conversations'),
				api<{ jobs: JobDto[] }>('GET', '/api/jobs')
			]);
			this.conversations = list.conversations;
			this.jobs = jobs.jobs;
		} catch (error) {
			if (!(error instanceof ApiError && error.status === 0 && this.conversations.length > 0))
				this.fail(error);
		}
	}

	async loadModels() {
		try {
			const answer = await api<{ providers: ModelGroup[]; default?: string | null }>(
				'GET',
				'/api/models'
			);
			this.models = answer.providers;
			this.defaultModel = answer.default ?? null;
			this.modelsOffline = false;
			const groups = $state.snapshot(this.models);
			void offlineStore.attempt('keep the model list', (c, fns) => fns.rememberModels(c, groups));
		} catch (error) {
			const offline = error instanceof ApiError && error.status === 0;
			const saved = offline
				? await offlineStore.attempt('read the last known models', (c, fns) =>
						fns.lastKnownModels<ModelGroup>(c)
					)
				: null;
			if (!saved) {
				if (!offline) this.fail(error);
				return;
			}
			this.models = saved.map((g) => ({ ...g, source: 'fallback' as const }));
			this.modelsOffline = true;
		}
		this.modelsLoaded = true;
		this.model ??= this.current?.model ?? this.firstModel();
	}

	private firstModel(): string | null {
		if (this.defaultModel) return this.defaultModel;
		const group =
			this.models.find((g) => g.source === 'live' && g.models.length > 0) ?? this.models[0];
		return group?.models[0] ? `${group.id}/${group.models[0].id}` : null;
	}

	/** Whether the model a send would use takes images (unknown models: the server decides). */
	seesImages(ref: string | null = this.model): boolean {
		const groups = this.models.filter((g) => g.source === 'live');
		if (ref === null) return groups[0]?.models[0]?.vision ?? true;
		for (const group of this.models)
			for (const model of group.models)
				if (`${group.id}/${model.id}` === ref) return model.vision ?? true;
		return true;
	}

	private prefetched: { id: number; at: number; answer: Promise<ConversationDto> } | null = null;

	/** Asks for a conversation while its page loads, for the open() that follows. */
	prefetch(id: number) {
		if (this.current?.id === id) return;
		const answer = api<ConversationDto>('GET', `/api/conversations/${id}`);
		answer.catch(() => {}); // open() handles the answer, errors included
		this.prefetched = { id, at: Date.now(), answer };
	}

	/**
	 * Opens a conversation: the server is asked at once (or was, while the page loaded); the
	 * device's copy shows if it answers first, but never holds the server's answer up.
	 * Resolves to the server's copy, or null (offline, or it failed: the error is shown).
	 */
	async open(id: number): Promise<ConversationDto | null> {
		if (this.current?.id !== id) this.choices = {};
		this.error = null;
		const early = this.prefetched;
		this.prefetched = null;
		const asked =
			early?.id === id && Date.now() - early.at < PREFETCH_FRESH_MS
				? early.answer
				: api<ConversationDto>('GET', `/api/conversations/${id}`);
		asked.catch(() => {}); // handled below
		let answered = false;
		const savedRead =
			this.current?.id !== id
				? offlineStore.attempt('read this conversation', (c, fns) => fns.cachedConversation(c, id))
				: Promise.resolve(undefined);
		void savedRead.then((saved) => {
			if (saved && !answered && this.current?.id !== id) this.current = saved;
		});
		void offlineStore.loadOutbox(id);
		try {
			const fresh = await asked;
			answered = true;
			this.current = fresh;
			if (fresh.model) this.model = fresh.model;
			await offlineStore.save(fresh);
			return fresh;
		} catch (error) {
			await savedRead; // (its copy, if any, is on screen once this returns)
			// Offline with a saved copy: read it; the network coming back refreshes it.
			if (error instanceof ApiError && error.status === 0 && this.current?.id === id) {
				void offlineStore.attempt('note that this conversation was opened', (c, fns) =>
					fns.markOpened(c, id)
				);
				return null;
			}
			this.current = null;
			this.fail(
				error instanceof ApiError && error.status === 0
					? new Error('You are offline and this conversation is not saved on this device')
					: error
			);
			return null;
		}
	}

	/** Back to a new, empty conversation. */
	startNew() {
		this.current = null;
		this.error = null;
		this.choices = {};
		this.draft = { settings: {}, systemPrompt: null };
	}

	/** The open conversation, created on the server first if it is new. */
	async ensureCurrent(): Promise<ConversationDto> {
		if (!this.current) {
			this.current = await api<ConversationDto>('POST', '/api/conversations', {
				...(this.model ? { model: this.model } : {}),
				settings: this.draft.settings,
				...(this.draft.systemPrompt ? { systemPrompt: this.draft.systemPrompt } : {})
			});
		}
		return this.current;
	}

	/** The open conversation takes the title the list has for it (set by the server), and keeps it. */
	adoptTitle(id: number) {
		const title = this.conversations.find((c) => c.id === id)?.title;
		if (this.current?.id !== id || title === undefined || title === this.current.title) return;
		this.current.title = title;
		this.save();
	}

	/** Keeps the open conversation on the device as it is now. */
	save() {
		if (this.current) void offlineStore.save(this.current);
	}
}

export const conversationsStore = new ConversationsStore();
