// The replies of the chat screen: sending a message (or keeping it in the outbox while offline),
// the live streams that fill replies in, stopping one, and catching up when the app starts or
// the network returns. The messages themselves live in the open conversation
// (src/lib/stores/conversations.svelte.ts).
import { api, ApiError } from '$lib/client/api';
import { followJob, sendAndStream, type JobStreamHandlers } from '$lib/client/job-stream';
import { conversationsStore } from '$lib/stores/conversations.svelte';
import { offlineStore } from '$lib/stores/offline.svelte';
import type { Outgoing } from '$lib/stores/attachments.svelte';
import type { OutboxFile } from '$lib/client/device-cache';
import type { MessageDto } from '$lib/shared/dto';

/** How often a streaming reply's text so far is written to the device copy. */
const STREAM_SAVE_INTERVAL_MS = 2_000;

class RepliesStore {
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

	/** Opens a conversation and follows its replies in progress. */
	async open(id: number, options: { keepStreams?: boolean } = {}) {
		if (!options.keepStreams) this.closeStreams();
		const fresh = await conversationsStore.open(id);
		for (const m of fresh?.messages ?? []) if (m.jobId !== undefined) this.follow(m.jobId, m.id);
	}

	/** Back to a new conversation; the streams of the one left are closed. */
	startNew() {
		this.closeStreams();
		conversationsStore.startNew();
	}

	/** Whenever the network returns: outbox first, then the list, sync, the open chat. */
	async reconnect() {
		await this.sendOutbox();
		await conversationsStore.loadSidebar();
		await offlineStore.sync();
		if (conversationsStore.current)
			await this.open(conversationsStore.current.id, { keepStreams: true });
	}

	/**
	 * On start, once the page is up (the layout has loaded the list and the page its
	 * conversation): the outbox, and the device copy brought up to date.
	 */
	async catchUp() {
		if (await this.sendOutbox()) {
			await conversationsStore.loadSidebar();
			if (conversationsStore.current)
				await this.open(conversationsStore.current.id, { keepStreams: true });
		}
		await offlineStore.sync();
	}

	/** Sends what was written offline; true if anything was sent. */
	private async sendOutbox(): Promise<boolean> {
		const sent = await offlineStore.sendOutbox();
		if (sent > 0) await offlineStore.loadOutbox(conversationsStore.current?.id ?? null);
		return sent > 0;
	}

	/** Keeps a message written offline in the outbox; it is sent once when the network is back. */
	private async queue(content: string, files: OutboxFile[] = []): Promise<number | null> {
		const conversation = conversationsStore.current;
		if (!offlineStore.enabled() || !conversation) {
			conversationsStore.error = offlineStore.enabled()
				? 'You are offline. Open a saved conversation to write a message that is sent when you are back online.'
				: 'You are offline, and the offline copy is turned off in Settings.';
			return null;
		}
		const kept = await offlineStore.queue(conversation.id, {
			content,
			parentId: conversationsStore.thread.at(-1)?.id ?? null,
			model: conversationsStore.model,
			files
		});
		return kept ? conversation.id : null;
	}

	/** Sends a message (creating the conversation first if needed); returns the conversation id. */
	async send(
		content: string,
		parentId?: number | null,
		attached: Outgoing | null = null,
		options: { truncate?: boolean } = {}
	): Promise<number | null> {
		if ((!content.trim() && !attached) || this.sending) return null;
		conversationsStore.error = null;
		this.overflow = null;
		if (attached?.hasImages && !conversationsStore.seesImages()) {
			conversationsStore.error = `${conversationsStore.model ?? 'This model'} does not take images: pick a model marked “sees images”, or remove the image`;
			return null;
		}
		const files = attached?.files ?? [];
		if (!navigator.onLine) return this.queue(content, files);
		this.sending = true;
		try {
			const conversation = await conversationsStore.ensureCurrent();
			if (offlineStore.outbox.length > 0 || (attached && !attached.ids)) {
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
					parentId:
						parentId === undefined ? (conversationsStore.thread.at(-1)?.id ?? null) : parentId,
					...(conversationsStore.model ? { model: conversationsStore.model } : {}),
					...(options.truncate ? { truncate: true } : {}),
					...(attached?.ids ? { attachments: attached.ids } : {}),
					clientId: crypto.randomUUID()
				}
			);
			conversation.messages.push(result.message, result.reply);
			conversationsStore.showMessage(result.reply.id);
			conversationsStore.save();
			this.follow(result.job.id, result.reply.id, follow);
			// The server titles a new conversation from its first message: the device copy takes it.
			void conversationsStore
				.loadSidebar()
				.then(() => conversationsStore.adoptTitle(conversation.id));
			return conversation.id;
		} catch (error) {
			if (error instanceof ApiError && error.status === 0 && conversationsStore.current) {
				this.sending = false;
				return this.queue(content, files);
			}
			if (error instanceof ApiError && error.code === 'context_overflow')
				this.overflow = { content, parentId, attached };
			conversationsStore.fail(error);
			return null;
		} finally {
			this.sending = false;
		}
	}

	async stop(jobId: number) {
		try {
			await api('POST', `/api/jobs/${jobId}/cancel`);
		} catch (error) {
			conversationsStore.fail(error);
		}
	}

	private reply(id: number): MessageDto | undefined {
		return conversationsStore.current?.messages.find((m) => m.id === id);
	}

	/** Fills the reply `replyId` in from its job's events (by default resumed with EventSource). */
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
					conversationsStore.save();
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
				void conversationsStore.loadSidebar();
			},
			connection: (state) => (this.reconnecting = state === 'reconnecting'),
			position: (id) => {
				const stream = this.streams.get(jobId);
				if (stream) stream.lastId = id;
			}
		});
		this.streams.set(jobId, { close, replyId, lastId: resumedFrom });
	}

	private markLoading(replyId: number, loading: boolean) {
		const has = this.loadingModel.includes(replyId);
		if (loading && !has) this.loadingModel.push(replyId);
		else if (!loading && has) this.loadingModel = this.loadingModel.filter((id) => id !== replyId);
	}

	private settle(jobId: number, replyId: number, message: MessageDto) {
		this.markLoading(replyId, false);
		const current = conversationsStore.current;
		if (current) {
			const i = current.messages.findIndex((m) => m.id === replyId);
			if (i >= 0) current.messages[i] = message;
			conversationsStore.save();
		}
		this.streams.delete(jobId);
		this.reconnecting = false;
		void conversationsStore.loadSidebar();
	}

	closeStreams() {
		for (const { close } of this.streams.values()) close();
		this.streams.clear();
		this.paused = [];
	}
}

export const repliesStore = new RepliesStore();
