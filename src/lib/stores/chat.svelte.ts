// The chat screen's state and its only fetcher: conversations, the open conversation, models,
// the user's running replies, and the live streams that fill replies in.
import { api, ApiError } from '$lib/client/api';
import { followJob } from '$lib/client/job-stream';
import type {
	ConversationDto,
	ConversationSummaryDto,
	JobDto,
	MessageDto,
	SendResultDto
} from '$lib/shared/dto';

export interface ModelGroup {
	id: string;
	name: string;
	source: 'live' | 'fallback';
	error?: { code: string; message: string };
	models: { id: string }[];
}

class ChatStore {
	conversations = $state<ConversationSummaryDto[]>([]);
	current = $state<ConversationDto | null>(null);
	models = $state<ModelGroup[]>([]);
	jobs = $state<JobDto[]>([]);
	model = $state<string | null>(null);
	error = $state<string | null>(null);
	sending = $state(false);
	reconnecting = $state(false);
	private streams = new Map<number, () => void>();

	/** The messages on the current branch: from the newest message back to the root. */
	get thread(): MessageDto[] {
		const messages = this.current?.messages ?? [];
		const byId = new Map(messages.map((m) => [m.id, m]));
		const path: MessageDto[] = [];
		for (let m = messages.at(-1); m; m = m.parentId === null ? undefined : byId.get(m.parentId))
			path.push(m);
		return path.reverse();
	}

	get activeJobId(): number | undefined {
		return this.thread.findLast((m) => m.jobId !== undefined)?.jobId;
	}

	private fail(error: unknown) {
		this.error =
			error instanceof ApiError || error instanceof Error ? error.message : 'Something went wrong';
	}

	async loadSidebar() {
		try {
			const [list, jobs] = await Promise.all([
				api<{ conversations: ConversationSummaryDto[] }>('GET', '/api/conversations'),
				api<{ jobs: JobDto[] }>('GET', '/api/jobs')
			]);
			this.conversations = list.conversations;
			this.jobs = jobs.jobs;
		} catch (error) {
			this.fail(error);
		}
	}

	async loadModels() {
		try {
			this.models = (await api<{ providers: ModelGroup[] }>('GET', '/api/models')).providers;
			this.model ??= this.current?.model ?? this.firstModel();
		} catch (error) {
			this.fail(error);
		}
	}

	private firstModel(): string | null {
		const group =
			this.models.find((g) => g.source === 'live' && g.models.length > 0) ?? this.models[0];
		return group?.models[0] ? `${group.id}/${group.models[0].id}` : null;
	}

	async open(id: number) {
		this.closeStreams();
		this.error = null;
		try {
			this.current = await api<ConversationDto>('GET', `/api/conversations/${id}`);
			if (this.current.model) this.model = this.current.model;
			for (const m of this.current.messages) if (m.jobId !== undefined) this.follow(m.jobId, m.id);
		} catch (error) {
			this.current = null;
			this.fail(error);
		}
	}

	startNew() {
		this.closeStreams();
		this.current = null;
		this.error = null;
	}

	/** Sends a message (creating the conversation first if needed); returns the conversation id. */
	async send(content: string): Promise<number | null> {
		if (!content.trim() || this.sending) return null;
		this.sending = true;
		this.error = null;
		try {
			if (!this.current) {
				const created = await api<ConversationDto>(
					'POST',
					'/api/conversations',
					this.model ? { model: this.model } : {}
				);
				this.current = created;
			}
			const conversation = this.current;
			const parentId = conversation.messages.at(-1)?.id ?? null;
			const result = await api<SendResultDto>(
				'POST',
				`/api/conversations/${conversation.id}/messages`,
				{
					content,
					parentId,
					...(this.model ? { model: this.model } : {}),
					clientId: crypto.randomUUID()
				}
			);
			conversation.messages.push(result.message, result.reply);
			this.follow(result.job.id, result.reply.id);
			void this.loadSidebar();
			return conversation.id;
		} catch (error) {
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

	private follow(jobId: number, replyId: number) {
		if (this.streams.has(jobId)) return;
		const start = this.reply(replyId);
		if (start) {
			start.content = '';
			start.reasoning = undefined;
		}
		const close = followJob(jobId, {
			delta: (part) => {
				const reply = this.reply(replyId);
				if (!reply) return;
				reply.status = 'streaming';
				if (part.text) reply.content += part.text;
				if (part.reasoning) reply.reasoning = (reply.reasoning ?? '') + part.reasoning;
			},
			usage: (usage) => {
				const reply = this.reply(replyId);
				if (reply) reply.usage = usage;
			},
			done: (message) => this.settle(jobId, replyId, message),
			failed: (error) => {
				const reply = this.reply(replyId);
				if (reply) {
					reply.status = 'failed';
					reply.error = error.message;
					reply.jobId = undefined;
				}
				this.streams.delete(jobId);
				void this.loadSidebar();
			},
			connection: (state) => (this.reconnecting = state === 'reconnecting')
		});
		this.streams.set(jobId, close);
	}

	private settle(jobId: number, replyId: number, message: MessageDto) {
		if (this.current) {
			const i = this.current.messages.findIndex((m) => m.id === replyId);
			if (i >= 0) this.current.messages[i] = message;
		}
		this.streams.delete(jobId);
		this.reconnecting = false;
		void this.loadSidebar();
	}

	closeStreams() {
		for (const close of this.streams.values()) close();
		this.streams.clear();
	}
}

export const chatStore = new ChatStore();
