// The chat screen's state and its only fetcher: conversations, the open conversation, models,
// the user's running replies, and the live streams that fill replies in. With the offline copy on
// (the default), everything read is also kept on the device and shown from there first; messages
// written offline wait in the outbox and are sent once when the network is back.
import { api, ApiError } from '$lib/client/api';
import { followJob, sendAndStream, type JobStreamHandlers } from '$lib/client/job-stream';
import {
	applySync,
	cachedSummaries,
	deviceDb,
	evict,
	lastKnownModels,
	queueOutboxItem,
	readCacheSettings,
	rememberModels,
	storeConversation,
	syncCursor,
	type DeviceDb,
	type OutboxFile,
	type OutboxItem
} from '$lib/client/device-cache';
import type { Outgoing } from '$lib/stores/attachments.svelte';
import type { SyncPage } from '$lib/client/device-cache';
import { flushOutbox } from '$lib/client/outbox';
import { wipeDevice, type DeviceUser } from '$lib/client/identity';
import { choicesFor, threadOf, type BranchChoices, type ThreadEntry } from '$lib/client/thread';
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

/** How often a streaming reply's text so far is written to the device copy. */
const STREAM_SAVE_INTERVAL_MS = 2_000;
/** A conversation asked for while its page loaded is used by open() only this soon after. */
const PREFETCH_FRESH_MS = 5_000;

export interface ModelGroup {
	id: string;
	name: string;
	source: 'live' | 'fallback';
	error?: { code: string; message: string };
	models: { id: string; vision?: boolean }[];
}

class ChatStore {
	conversations = $state<ConversationSummaryDto[]>([]);
	current = $state<ConversationDto | null>(null);
	models = $state<ModelGroup[]>([]);
	/** The model list has been answered (or read from the device while offline). */
	modelsLoaded = $state(false);
	/** The model list is the device's last known one: the server could not be asked. */
	modelsOffline = $state(false);
	jobs = $state<JobDto[]>([]);
	model = $state<string | null>(null);
	/** The admin's model for new chats, when set (Admin → Local models). */
	defaultModel = $state<string | null>(null);
	error = $state<string | null>(null);
	sending = $state(false);
	/** A message refused as too large for the model's context window: it can be sent truncated. */
	overflow = $state<{
		content: string;
		parentId?: number | null;
		attached: Outgoing | null;
	} | null>(null);
	reconnecting = $state(false);
	/** Replies waiting while llama.cpp loads their model (shown as "Loading model…"). */
	loadingModel = $state<number[]>([]);
	online = $state(true);
	/** Messages written offline for the open conversation, waiting to be sent. */
	outbox = $state<OutboxItem[]>([]);
	/** Which sibling is on screen at each fork of the open conversation. */
	choices = $state<BranchChoices>({});
	draft = $state<ConversationDraft>({ settings: {}, systemPrompt: null });
	private currentUser: () => DeviceUser | null = () => null;
	private streams = new Map<
		number,
		{ close: () => void; replyId: number; lastId: string | null }
	>();
	/** Streams closed while the page was hidden, resumed from their last event when it shows. */
	private paused: { jobId: number; replyId: number; lastId: string | null }[] = [];

	/**
	 * Closes the live reply streams while the page is hidden (a locked phone, another tab), so the
	 * server sees nobody watching and sends a push; resumes them by Last-Event-ID when it shows.
	 */
	watchVisibility(): () => void {
		const changed = () => {
			if (document.visibilityState === 'hidden') this.pause();
			else this.resume();
		};
		document.addEventListener('visibilitychange', changed);
		return () => document.removeEventListener('visibilitychange', changed);
	}

	private pause() {
		for (const [jobId, { close, replyId, lastId }] of this.streams) {
			close();
			this.paused.push({ jobId, replyId, lastId });
		}
		this.streams.clear();
	}

	private resume() {
		const paused = this.paused;
		this.paused = [];
		for (const { jobId, replyId, lastId } of paused)
			if (this.reply(replyId)?.jobId === jobId)
				this.follow(jobId, replyId, (handlers) => followJob(jobId, handlers, lastId), lastId);
	}

	/** Who is signed in (read from the layout's data); their device cache is used unless off. */
	setUser(user: () => DeviceUser | null) {
		this.currentUser = user;
	}

	private get user(): DeviceUser | null {
		return this.currentUser();
	}

	private persistAsked = false;

	/** This user's device copy, or null (signed out, or the offline copy is off). */
	cache(): DeviceDb | null {
		if (!this.user || typeof indexedDB === 'undefined') return null;
		if (!readCacheSettings(this.user.id).enabled) return null;
		if (!this.persistAsked) {
			// Ask the browser not to evict the offline copy under storage pressure (Chrome grants
			// it to installed apps; elsewhere it stays best-effort).
			this.persistAsked = true;
			void navigator.storage?.persist?.().catch(() => false);
		}
		return deviceDb(this.user.id);
	}

	/** Tracks the network; back online: send the outbox, then catch up. */
	watchNetwork(): () => void {
		this.online = navigator.onLine;
		const online = () => {
			this.online = true;
			void this.reconnect();
		};
		const offline = () => (this.online = false);
		const message = (event: MessageEvent) => {
			if ((event.data as { type?: string } | null)?.type === 'outbox-flushed')
				void this.reconnect();
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

	/** Whenever the network returns: outbox first, then sidebar, sync, the open chat. */
	async reconnect() {
		await this.sendOutbox();
		await this.loadSidebar();
		await this.sync();
		if (this.current) await this.open(this.current.id, { keepStreams: true });
	}

	/**
	 * On start, once the page is up (the layout has loaded the sidebar and the page its
	 * conversation): the outbox, and the device copy brought up to date.
	 */
	async catchUp() {
		if (await this.sendOutbox()) {
			await this.loadSidebar();
			if (this.current) await this.open(this.current.id, { keepStreams: true });
		}
		await this.sync();
	}

	/** Sends what was written offline; true if anything was sent. */
	private async sendOutbox(): Promise<boolean> {
		const db = this.cache();
		if (!db) return false;
		const sent = await flushOutbox(db, fetch);
		if (sent > 0) await this.refreshOutbox();
		return sent > 0;
	}

	private async refreshOutbox(id = this.current?.id) {
		const db = this.cache();
		this.outbox =
			db && id ? await db.outbox.where('conversationId').equals(id).sortBy('createdAt') : [];
	}

	/** Brings the device copy up to date: only conversations changed since the last sync. */
	async sync() {
		const db = this.cache();
		if (!db || !this.user) return;
		try {
			const limit = readCacheSettings(this.user.id).limit;
			const have = (await db.conversations.toCollection().primaryKeys()).join(',');
			const since = await syncCursor(db);
			const page = await api<SyncPage>(
				'GET',
				`/api/sync?since=${since}&limit=${limit}${have ? `&have=${have}` : ''}`
			);
			await applySync(db, page);
			await evict(db, limit);
		} catch {
			// Offline or a server hiccup: the next sync catches up from the same cursor.
		}
	}

	/** The branch on screen, from the root down, with each message's siblings. */
	get entries(): ThreadEntry[] {
		return threadOf(this.current?.messages ?? [], this.choices);
	}

	get thread(): MessageDto[] {
		return this.entries.map((e) => e.message);
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

	get activeJobId(): number | undefined {
		return this.thread.findLast((m) => m.jobId !== undefined)?.jobId;
	}

	/** Shows an error (a 401 signs this device out). Used by the action modules beside this one. */
	fail(error: unknown) {
		if (error instanceof ApiError && error.status === 401) {
			// The session ended (expired, or signed out elsewhere): forget this user here too.
			void wipeDevice().then(() => location.assign('/login'));
			return;
		}
		this.error =
			error instanceof ApiError || error instanceof Error ? error.message : 'Something went wrong';
	}

	async loadSidebar() {
		const db = this.cache();
		if (db && this.conversations.length === 0) {
			const cached = await cachedSummaries(db).catch(() => []);
			if (cached.length > 0 && this.conversations.length === 0) this.conversations = cached;
		}
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
		const db = this.cache();
		try {
			const answer = await api<{ providers: ModelGroup[]; default?: string | null }>(
				'GET',
				'/api/models'
			);
			this.models = answer.providers;
			this.defaultModel = answer.default ?? null;
			this.modelsOffline = false;
			if (db) void rememberModels(db, $state.snapshot(this.models)).catch(() => {});
		} catch (error) {
			const known = error instanceof ApiError && error.status === 0 && db;
			const cached = known ? await lastKnownModels<ModelGroup>(db).catch(() => null) : null;
			if (!cached) {
				if (!(error instanceof ApiError && error.status === 0)) this.fail(error);
				return;
			}
			this.models = cached.map((g) => ({ ...g, source: 'fallback' as const }));
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

	private prefetched: { id: number; at: number; answer: Promise<ConversationDto> } | null = null;

	/** Asks for a conversation while its page loads, for the open() that follows. */
	prefetch(id: number) {
		if (this.current?.id === id) return;
		const answer = api<ConversationDto>('GET', `/api/conversations/${id}`);
		answer.catch(() => {}); // open() handles the answer, errors included
		this.prefetched = { id, at: Date.now(), answer };
	}

	async open(id: number, options: { keepStreams?: boolean } = {}) {
		if (!options.keepStreams) this.closeStreams();
		if (this.current?.id !== id) this.choices = {};
		this.error = null;
		const db = this.cache();
		// Asked at once (or while the page loaded); the device copy is shown if it answers first.
		const early = this.prefetched;
		this.prefetched = null;
		const asked =
			early?.id === id && Date.now() - early.at < PREFETCH_FRESH_MS
				? early.answer
				: api<ConversationDto>('GET', `/api/conversations/${id}`);
		asked.catch(() => {}); // handled below
		// The device copy shows while the server is asked, but never holds up the server's answer.
		let answered = false;
		const cachedRead =
			db && this.current?.id !== id
				? db.conversations.get(id).catch(() => undefined)
				: Promise.resolve(undefined);
		void cachedRead.then((cached) => {
			if (cached && !answered && this.current?.id !== id) this.current = cached;
		});
		void this.refreshOutbox(id);
		try {
			const fresh = await asked;
			answered = true;
			this.current = fresh;
			if (fresh.model) this.model = fresh.model;
			if (db) await storeConversation(db, fresh, true).catch(() => {});
			for (const m of fresh.messages) if (m.jobId !== undefined) this.follow(m.jobId, m.id);
		} catch (error) {
			await cachedRead; // (its copy, if any, is on screen once this returns)
			// Offline with a cached copy: read it; the network coming back refreshes it.
			if (error instanceof ApiError && error.status === 0 && this.current?.id === id) {
				if (db) await db.conversations.update(id, { openedAt: Date.now() }).catch(() => {});
				return;
			}
			this.current = null;
			this.fail(
				error instanceof ApiError && error.status === 0
					? new Error('You are offline and this conversation is not saved on this device')
					: error
			);
		}
	}

	startNew() {
		this.closeStreams();
		this.current = null;
		this.error = null;
		this.choices = {};
		this.draft = { settings: {}, systemPrompt: null };
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

	/** Keeps a message written offline in the outbox; it is sent once when the network is back. */
	private async queue(content: string, files: OutboxFile[] = []): Promise<number | null> {
		const db = this.cache();
		const conversation = this.current;
		if (!db || !conversation) {
			this.error = db
				? 'You are offline. Open a saved conversation to write a message that is sent when you are back online.'
				: 'You are offline, and the offline copy is turned off in Settings.';
			return null;
		}
		const pending = await db.outbox.where('conversationId').equals(conversation.id).count();
		await queueOutboxItem(db, {
			clientId: crypto.randomUUID(),
			conversationId: conversation.id,
			content,
			// Queued messages follow each other; the first answers the newest message.
			parentId: pending > 0 ? null : (this.thread.at(-1)?.id ?? null),
			model: this.model,
			createdAt: Date.now(),
			...(files.length > 0 ? { files } : {})
		});
		await this.refreshOutbox();
		await requestBackgroundSync();
		return conversation.id;
	}

	private async ensureConversation(): Promise<ConversationDto> {
		if (!this.current) {
			this.current = await api<ConversationDto>('POST', '/api/conversations', {
				...(this.model ? { model: this.model } : {}),
				settings: this.draft.settings,
				...(this.draft.systemPrompt ? { systemPrompt: this.draft.systemPrompt } : {})
			});
		}
		return this.current;
	}

	/** Sends a message (creating the conversation first if needed); returns the conversation id. */
	async send(
		content: string,
		parentId?: number | null,
		attached: Outgoing | null = null,
		options: { truncate?: boolean } = {}
	): Promise<number | null> {
		if ((!content.trim() && !attached) || this.sending) return null;
		this.error = null;
		this.overflow = null;
		if (attached?.hasImages && !this.seesImages()) {
			this.error = `${this.model ?? 'This model'} does not take images: pick a model marked “sees images”, or remove the image`;
			return null;
		}
		const files = attached?.files ?? [];
		if (!navigator.onLine) return this.queue(content, files);
		this.sending = true;
		try {
			const conversation = await this.ensureConversation();
			if (this.outbox.length > 0 || (attached && !attached.ids)) {
				// Earlier messages are still waiting (or files could not go up yet): this one waits
				// behind them, in order, and its files go with it.
				this.sending = false;
				return this.queue(content, files);
			}
			// One request: the reply streams in the POST's response (resumed by /events if it breaks).
			const { result, follow } = await sendAndStream(
				`/api/conversations/${conversation.id}/messages`,
				{
					content,
					parentId: parentId === undefined ? (this.thread.at(-1)?.id ?? null) : parentId,
					...(this.model ? { model: this.model } : {}),
					...(options.truncate ? { truncate: true } : {}),
					...(attached?.ids ? { attachments: attached.ids } : {}),
					clientId: crypto.randomUUID()
				}
			);
			conversation.messages.push(result.message, result.reply);
			this.showMessage(result.reply.id);
			this.save();
			this.follow(result.job.id, result.reply.id, follow);
			// The server titles a new conversation from its first message: the device copy takes it.
			void this.loadSidebar().then(() => this.adoptTitle(conversation.id));
			return conversation.id;
		} catch (error) {
			if (error instanceof ApiError && error.status === 0 && this.current) {
				this.sending = false;
				return this.queue(content, files);
			}
			if (error instanceof ApiError && error.code === 'context_overflow')
				this.overflow = { content, parentId, attached };
			this.fail(error);
			return null;
		} finally {
			this.sending = false;
		}
	}

	async stop(jobId: number) {
		try {
			await api('POST', `/api/jobs/${jobId}/cancel`);
		} catch (error) {
			this.fail(error);
		}
	}

	private reply(id: number): MessageDto | undefined {
		return this.current?.messages.find((m) => m.id === id);
	}

	follow(
		jobId: number,
		replyId: number,
		open: (handlers: JobStreamHandlers) => () => void = (handlers) => followJob(jobId, handlers),
		resumedFrom: string | null = null
	) {
		if (this.streams.has(jobId)) return;
		const start = this.reply(replyId);
		// From the start the whole text is sent again; resumed, only what came after `resumedFrom`.
		if (start && resumedFrom === null) {
			start.content = '';
			start.reasoning = undefined;
		}
		let savedAt = 0; // the first words are kept at once, then every STREAM_SAVE_INTERVAL_MS
		const close = open({
			delta: (part) => {
				const reply = this.reply(replyId);
				if (!reply) return;
				this.markLoading(replyId, false);
				reply.status = 'streaming';
				if (part.text) reply.content += part.text;
				if (part.reasoning) reply.reasoning = (reply.reasoning ?? '') + part.reasoning;
				// The text so far stays readable on this device if the app closes mid-reply.
				if (Date.now() - savedAt >= STREAM_SAVE_INTERVAL_MS) {
					savedAt = Date.now();
					this.save();
				}
			},
			usage: (usage) => {
				const reply = this.reply(replyId);
				if (reply) reply.usage = usage;
			},
			status: (status) => this.markLoading(replyId, status === 'loading_model'),
			done: (message) => this.settle(jobId, replyId, message),
			failed: (error) => {
				const reply = this.reply(replyId);
				this.markLoading(replyId, false);
				if (reply) {
					reply.status = 'failed';
					reply.error = error.message;
					reply.jobId = undefined;
				}
				this.streams.delete(jobId);
				void this.loadSidebar();
			},
			connection: (state) => (this.reconnecting = state === 'reconnecting'),
			position: (id) => {
				const stream = this.streams.get(jobId);
				if (stream) stream.lastId = id;
			}
		});
		this.streams.set(jobId, { close, replyId, lastId: resumedFrom });
	}

	/** The open conversation takes the title the list has for it (set by the server), and keeps it. */
	private adoptTitle(id: number) {
		const title = this.conversations.find((c) => c.id === id)?.title;
		if (this.current?.id !== id || title === undefined || title === this.current.title) return;
		this.current.title = title;
		this.save();
	}

	/** Keeps the open conversation on the device as it is now. */
	save() {
		const db = this.cache();
		if (db && this.current) void storeConversation(db, this.current, true).catch(() => {});
	}

	private markLoading(replyId: number, loading: boolean) {
		const has = this.loadingModel.includes(replyId);
		if (loading && !has) this.loadingModel.push(replyId);
		else if (!loading && has) this.loadingModel = this.loadingModel.filter((id) => id !== replyId);
	}

	private settle(jobId: number, replyId: number, message: MessageDto) {
		this.markLoading(replyId, false);
		if (this.current) {
			const i = this.current.messages.findIndex((m) => m.id === replyId);
			if (i >= 0) this.current.messages[i] = message;
			this.save();
		}
		this.streams.delete(jobId);
		this.reconnecting = false;
		void this.loadSidebar();
	}

	closeStreams() {
		for (const { close } of this.streams.values()) close();
		this.streams.clear();
		this.paused = [];
	}
}

/** Asks the service worker to send the outbox when the network returns, even if Hearth is closed. */
async function requestBackgroundSync() {
	try {
		const registration = await navigator.serviceWorker?.ready;
		const sync = (registration as { sync?: { register(tag: string): Promise<void> } } | undefined)
			?.sync;
		await sync?.register('hearth-outbox');
	} catch {
		// No Background Sync here: the online event or the next app start sends it.
	}
}

export const chatStore = new ChatStore();
