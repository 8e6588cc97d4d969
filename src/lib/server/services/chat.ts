// Sending a message: the user message, the reply placeholder and its job are written in one
// transaction, so nothing a client does afterwards can lose the message. Idempotent by clientId.
import type { Database, Executor } from '$lib/server/db/database';
import { isUniqueViolation } from '$lib/server/db/errors';
import type { Provider, ReasoningLevel } from '$lib/server/llm/types';
import { budgetRefusal } from '$lib/server/services/budget';
import * as conversations from '$lib/server/repos/conversations';
import * as jobs from '$lib/server/repos/jobs';
import { countRefusal, judgeText } from '$lib/server/services/content-policy';
import type { GuardContext } from '$lib/server/services/guard-model';
import * as messages from '$lib/server/repos/messages';
import { lockUser } from '$lib/server/repos/users';
import { parseSettings, toJobDto, toMessageDto } from '$lib/server/services/dto';
import type { Conversation, Job } from '$lib/server/db/schema';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import { defaultModelRef, modelSeesImages } from '$lib/server/services/models';
import { ALIAS_PROVIDER_ID, findPresetModel } from '$lib/server/services/preset-models';
import {
	measureNewMessage,
	overflowMessage,
	pathAttachments,
	readPromptHistory,
	type PromptHistory
} from '$lib/server/services/prompt';
import {
	attachmentsByMessage,
	checkMessageAttachments,
	linkMessageAttachments,
	toAttachmentDto
} from '$lib/server/services/attachments';
import type { JobDto, MessageDto, SendResultDto } from '$lib/shared/dto';

export const MAX_MESSAGE_CHARS = 100_000;
export const MAX_ACTIVE_JOBS_PER_USER = 4;
/**
 * A conversation's bounds: reading one, or replying in one, stays cheap. A reply may carry it
 * past the character cap by one reply's worth (the runner's output cap); nothing more is added.
 */
export const MAX_CONVERSATION_MESSAGES = 1_000;
export const MAX_CONVERSATION_CHARS = 2_000_000;
const AUTO_TITLE_CHARS = 60;

export interface SendInput {
	content: string;
	/** Absent: reply to the newest message. null: start a new root thread. */
	parentId?: number | null;
	/** "provider/model"; defaults to the conversation's model, then the server's default. */
	model?: string;
	temperature?: number;
	maxTokens?: number;
	reasoning?: ReasoningLevel;
	clientId?: string;
	/** A message too large for the model's context window alone is sent cut to fit, not refused. */
	truncate?: boolean;
	/** Ids of the user's uploads (POST /api/attachments) this message carries. */
	attachments?: string[];
}

export interface JobParams {
	temperature?: number;
	maxTokens?: number;
	reasoning?: ReasoningLevel;
	systemPrompt?: string;
	/** Cut the newest message to fit the context window instead of failing. */
	truncate?: boolean;
	/** A Continue: the job extends its reply's text (the job's partial text when it was queued). */
	continue?: boolean;
}

type Fail<C extends string> = { ok: false; code: C; message: string };
type SendFailure =
	| 'not_found'
	| 'invalid'
	| 'too_many_jobs'
	| 'conversation_full'
	| 'budget_exceeded'
	| 'context_overflow'
	| 'model_cannot_see';
/** A message too large for the model's context window, with the figures. */
export type ContextOverflow = Fail<'context_overflow'> & { needed: number; available: number };

/**
 * A slot on the reply's provider that this instance took before the enqueue transaction (free,
 * nobody waiting): the job is inserted already running, claimed by `claimedBy`, and handed to
 * the runner in memory; the conditional claim still guards every job that is queued.
 */
export interface ReplySlot {
	claimedBy: string;
	provider: Provider;
	/** Gives the slot back: the send was refused or failed. */
	release(): void;
}

/** A reply that starts at once: its slot and the prompt's history read in its transaction. */
export interface StartedReply {
	slot: ReplySlot;
	history: PromptHistory;
}

/** What enqueueing a reply needs from the rest of the server. */
export interface ReplyDeps {
	/** "provider/model" when neither the request nor the conversation names one. */
	defaultModel(): Promise<string>;
	/** Called once the job is committed, so a runner can start it at once (`started`: it has). */
	enqueued(job: Job, started?: StartedReply): void;
	/** A slot on the provider now, if one is free and nobody waits; absent or null: queue it. */
	takeSlot?(provider: string, userId: number): Promise<ReplySlot | null>;
	/**
	 * Whether a new message (its text and its attachments' tokens) fits the model's context window
	 * beside the system prompt and the reply's budget (null: it fits, or the provider is unknown).
	 * Absent: not checked.
	 */
	measure?(
		ref: { provider: string; model: string },
		systemText: string,
		content: string,
		maxTokens: number | undefined,
		attachmentTokens: number
	): Promise<{ needed: number; available: number } | null>;
	/** Whether the model takes images; absent: not checked. */
	seesImages?(ref: { provider: string; model: string }): Promise<boolean>;
	/** Where the content policy's guard models run; absent: guard rules get no verdict. */
	providers?: ProviderRegistry;
}

function guardFor(db: Executor, userId: number, deps: ReplyDeps): GuardContext | undefined {
	return deps.providers && { db, providers: deps.providers, userId, source: 'chat' };
}

/**
 * The server's reply dependencies: the registry's default model; a committed job is handed to
 * this instance's runner at once (its conditional claim still guards other instances).
 */
export function replyDeps(
	providers: ProviderRegistry,
	runner: {
		submit(job: Job, started?: StartedReply): void;
		takeSlot?(provider: string, userId: number): Promise<ReplySlot | null>;
	},
	db?: Executor
): ReplyDeps {
	return {
		defaultModel: () => defaultModelRef(providers, db),
		enqueued: (job, started) => runner.submit(job, started),
		takeSlot: runner.takeSlot && ((provider, userId) => runner.takeSlot!(provider, userId)),
		async measure(ref, systemText, content, maxTokens, attachmentTokens) {
			const provider = await providers.get(ref.provider);
			return provider
				? measureNewMessage(provider, ref.model, systemText, content, maxTokens, attachmentTokens)
				: null;
		},
		seesImages: (ref) => modelSeesImages(providers, ref),
		providers
	};
}
export type SendResult =
	| ({ ok: true; duplicate: boolean } & SendResultDto)
	| Fail<Exclude<SendFailure, 'context_overflow'>>
	| ContextOverflow;

export function splitModelRef(ref: string): { provider: string; model: string } | null {
	const slash = ref.indexOf('/');
	if (slash <= 0 || slash === ref.length - 1) return null;
	return { provider: ref.slice(0, slash), model: ref.slice(slash + 1) };
}

async function existingSend(
	db: Database,
	userId: number,
	clientId: string
): Promise<SendResult | null> {
	const message = await messages.findMessageByClientId(db, userId, clientId);
	if (!message) return null;
	const job = await jobs.findJobForUserMessage(db, message.id);
	const reply = job?.assistant_message_id
		? await messages.findMessage(db, userId, job.assistant_message_id)
		: undefined;
	if (!job || !reply) return null;
	const active = job.state === 'queued' || job.state === 'running';
	const attached = (await attachmentsByMessage(db, [message.id])).get(message.id);
	return {
		ok: true,
		duplicate: true,
		message: { ...toMessageDto(message), ...(attached ? { attachments: attached } : {}) },
		reply: toMessageDto(reply, active ? job.id : undefined),
		job: toJobDto(job)
	};
}

const BAD_MODEL = {
	ok: false as const,
	code: 'invalid' as const,
	message: 'model: expected "provider/model" (e.g. "llama/default") or a shared preset that exists'
};

type ReplyOptions = Pick<SendInput, 'temperature' | 'maxTokens' | 'reasoning' | 'truncate'>;

export function jobParams(conversation: Conversation, input: ReplyOptions): JobParams {
	const settings = parseSettings(conversation.settings);
	return {
		temperature: input.temperature ?? settings.temperature,
		maxTokens: input.maxTokens,
		reasoning: input.reasoning ?? settings.reasoning,
		...(input.truncate ? { truncate: true } : {})
	};
}

/**
 * The reply's model and parameters: "alias/<name>" (a shared preset, as chats named it while
 * presets and aliases were apart) becomes the preset's model, its defaults filling what the
 * request and conversation leave out.
 */
async function replyTarget(
	db: Executor,
	model: string,
	conversation: Conversation,
	input: ReplyOptions,
	deps: Pick<ReplyDeps, 'defaultModel'>
): Promise<{ ref: { provider: string; model: string }; params: JobParams } | null> {
	const ref = splitModelRef(model);
	if (!ref) return null;
	const params = jobParams(conversation, input);
	if (ref.provider !== ALIAS_PROVIDER_ID) return { ref, params };
	const preset = await findPresetModel(db, ref.model);
	if (!preset) return null;
	const target = splitModelRef(preset.model ?? (await deps.defaultModel()));
	if (!target || target.provider === ALIAS_PROVIDER_ID) return null;
	return {
		ref: target,
		params: {
			...params,
			temperature: params.temperature ?? preset.temperature ?? undefined,
			maxTokens: params.maxTokens ?? preset.params.max_tokens,
			reasoning: params.reasoning ?? preset.reasoning ?? undefined,
			...(preset.systemPrompt ? { systemPrompt: preset.systemPrompt } : {})
		}
	};
}

/** Locks the user's row (PostgreSQL) so the active-job cap holds under a burst; the refusal if full. */
/** Under the per-user lock: the active-reply cap, then the monthly budget. */
export async function atJobCap(trx: Executor, userId: number) {
	await lockUser(trx, userId);
	if ((await jobs.countActiveJobs(trx, userId)) < MAX_ACTIVE_JOBS_PER_USER)
		return budgetRefusal(trx, userId, Date.now());
	return {
		ok: false as const,
		code: 'too_many_jobs' as const,
		message: `You already have ${MAX_ACTIVE_JOBS_PER_USER} replies in progress; wait for one to finish or stop one`
	};
}

/** The refusal when `adding` messages of `chars` characters would overfill the conversation. */
export async function overfull(
	trx: Executor,
	conversationId: number,
	adding: number,
	chars: number
) {
	// A character is at least one UTF-8 byte: when the bytes fit, the characters do, and the texts
	// (up to 2 MB of them) are not read to count them.
	const bytes = await messages.conversationSize(trx, conversationId, 'bytes');
	const fits = (size: number) =>
		bytes.messages + adding <= MAX_CONVERSATION_MESSAGES && size + chars <= MAX_CONVERSATION_CHARS;
	if (
		fits(bytes.size) ||
		fits((await messages.conversationSize(trx, conversationId, 'chars')).size)
	)
		return null;
	return {
		ok: false as const,
		code: 'conversation_full' as const,
		message: `This conversation is full (at most ${MAX_CONVERSATION_MESSAGES} messages and ${MAX_CONVERSATION_CHARS} characters); start a new one or branch from a message`
	};
}

/** The empty reply to `userMessageId` and the job that will write it. */
async function enqueueReply(
	trx: Executor,
	values: {
		userId: number;
		conversationId: number;
		userMessageId: number;
		ref: { provider: string; model: string };
		params: JobParams;
		now: number;
		/** The content policy's refusal: the reply is this text, finished, and no model is called. */
		refusal?: string | null;
		/** Inserted as claimed by this instance, running (what claimJob sets). */
		slot?: ReplySlot | null;
	}
) {
	const { userId, conversationId, userMessageId, ref, params, now, slot } = values;
	const refusal = values.refusal ?? null;
	const reply = await messages.insertMessage(trx, {
		conversation_id: conversationId,
		user_id: userId,
		parent_id: userMessageId,
		role: 'assistant',
		content: refusal ?? '',
		status: refusal === null ? 'queued' : 'done',
		provider: ref.provider,
		model: ref.model,
		created_at: now,
		updated_at: now
	});
	const job = await jobs.insertJob(trx, {
		user_id: userId,
		conversation_id: conversationId,
		user_message_id: userMessageId,
		assistant_message_id: reply.id,
		provider: ref.provider,
		model: ref.model,
		params: JSON.stringify(params),
		state: refusal !== null ? 'done' : slot ? 'running' : 'queued',
		run_after: now,
		...(refusal !== null
			? { started_at: now, finished_at: now }
			: slot
				? { claimed_by: slot.claimedBy, started_at: now, heartbeat_at: now, attempts: 1 }
				: {}),
		created_at: now,
		updated_at: now
	});
	return { reply, job };
}

export async function sendMessage(
	db: Database,
	userId: number,
	conversationId: number,
	input: SendInput,
	deps: ReplyDeps
): Promise<SendResult> {
	const content = input.content;
	const attachmentIds = input.attachments ?? [];
	if (!content.trim() && attachmentIds.length === 0)
		return { ok: false, code: 'invalid', message: 'content: the message is empty' };
	if (content.length > MAX_MESSAGE_CHARS) {
		return {
			ok: false,
			code: 'invalid',
			message: `content: longer than ${MAX_MESSAGE_CHARS} characters`
		};
	}
	if (input.clientId) {
		const existing = await existingSend(db, userId, input.clientId);
		if (existing) return existing;
	}
	const conversation = await conversations.findConversation(db, userId, conversationId);
	if (!conversation) return { ok: false, code: 'not_found', message: 'No such conversation' };
	const target = await replyTarget(
		db,
		input.model ?? conversation.model ?? (await deps.defaultModel()),
		conversation,
		input,
		deps
	);
	if (!target) return BAD_MODEL;
	const { ref, params } = target;
	const checked = await checkMessageAttachments(db, userId, attachmentIds);
	if (!checked.ok) return checked;
	if (checked.attachments.some((a) => a.kind === 'image') && deps.seesImages) {
		if (!(await deps.seesImages(ref)))
			return {
				ok: false,
				code: 'model_cannot_see',
				message: `${ref.provider}/${ref.model} does not take images; pick a model marked as seeing images, or remove the image`
			};
	}
	if (!input.truncate && deps.measure) {
		const over = await deps.measure(
			ref,
			[conversation.system_prompt, params.systemPrompt].filter(Boolean).join('\n\n'),
			content,
			params.maxTokens,
			checked.attachments.reduce((sum, a) => sum + (a.tokens ?? 0), 0)
		);
		if (over)
			return {
				ok: false,
				code: 'context_overflow',
				message: overflowMessage(over.needed, over.available),
				...over
			};
	}

	// Before the transaction: a guard model may take seconds.
	const refusal = await judgeText(
		db,
		{ kind: 'prompt', text: content },
		guardFor(db, userId, deps)
	);
	const slot = refusal ? null : ((await deps.takeSlot?.(ref.provider, userId)) ?? null);
	let handedOver = false;
	try {
		const result = await db.transaction().execute(async (trx) => {
			const full =
				(await atJobCap(trx, userId)) ?? (await overfull(trx, conversationId, 2, content.length));
			if (full) return full;
			const parent = await replyParent(trx, userId, conversationId, input.parentId, !!slot);
			if (!parent)
				return {
					ok: false as const,
					code: 'invalid' as const,
					message: 'parentId: no such message in this conversation'
				};
			const parentId = parent.id;
			const now = Date.now();
			if (refusal) await countRefusal(trx, refusal, now, { userId, source: 'chat', text: content });
			const userMessage = await messages.insertMessage(trx, {
				conversation_id: conversationId,
				user_id: userId,
				parent_id: parentId,
				role: 'user',
				content,
				status: 'done',
				client_id: input.clientId ?? null,
				created_at: now,
				updated_at: now
			});
			await linkMessageAttachments(trx, userMessage.id, attachmentIds);
			const { reply, job } = await enqueueReply(trx, {
				userId,
				conversationId,
				userMessageId: userMessage.id,
				ref,
				params,
				now,
				refusal: refusal?.message,
				slot
			});
			// Starting at once: the prompt's history as this transaction sees it.
			let history: PromptHistory | null = null;
			if (slot && parent.path) {
				const path = [
					...parent.path,
					{ id: userMessage.id, role: 'user' as const, content, status: 'done' as const }
				];
				history = {
					systemPrompt: conversation.system_prompt,
					path,
					attached: await pathAttachments(trx, path)
				};
			}
			await conversations.updateConversation(trx, userId, conversationId, {
				updated_at: now,
				...(conversation.title
					? {}
					: { title: content.replace(/\s+/g, ' ').trim().slice(0, AUTO_TITLE_CHARS) })
			});
			return {
				ok: true as const,
				duplicate: false,
				message: {
					...toMessageDto(userMessage),
					...(checked.attachments.length > 0
						? { attachments: checked.attachments.map(toAttachmentDto) }
						: {})
				},
				reply: toMessageDto(reply, refusal ? undefined : job.id),
				job: toJobDto(job),
				enqueued: refusal ? null : job,
				history
			};
		});
		if (!result.ok) return result;
		const { enqueued, history, ...sent } = result;
		if (enqueued) {
			handedOver = !!(slot && history);
			deps.enqueued(enqueued, slot && history ? { slot, history } : undefined);
		}
		return sent;
	} catch (error) {
		// Two requests with the same clientId raced: the loser answers with the winner's result.
		if (input.clientId && isUniqueViolation(error)) {
			const existing = await existingSend(db, userId, input.clientId);
			if (existing) return existing;
		}
		throw error;
	} finally {
		if (!handedOver) slot?.release();
	}
}

/**
 * The new message's parent: the newest message (`parentId` undefined), none (null: a new root
 * thread) or the one named; with `withPath`, the path from the root to it too (one query either
 * way). null: `parentId` is not a message of this conversation.
 */
async function replyParent(
	trx: Executor,
	userId: number,
	conversationId: number,
	parentId: number | null | undefined,
	withPath: boolean
): Promise<{ id: number | null; path: messages.PathMessage[] | null } | null> {
	if (parentId === null) return { id: null, path: withPath ? [] : null };
	if (withPath) {
		const { path } = await messages.promptPath(trx, conversationId, parentId ?? 'latest');
		if (parentId !== undefined && !path.some((m) => m.id === parentId)) return null;
		return { id: parentId ?? path.at(-1)?.id ?? null, path };
	}
	if (parentId === undefined)
		return { id: (await messages.latestMessage(trx, conversationId))?.id ?? null, path: null };
	const parent = await messages.findMessage(trx, userId, parentId);
	if (!parent || parent.conversation_id !== conversationId) return null;
	return { id: parent.id, path: null };
}

export type RegenerateResult = { ok: true; reply: MessageDto; job: JobDto } | Fail<SendFailure>;

/**
 * A new reply to the user message `messageId` (or to the message a reply `messageId` answered):
 * a sibling of the earlier replies, which stay as they are.
 */
export async function regenerateReply(
	db: Database,
	userId: number,
	conversationId: number,
	input: ReplyOptions & { messageId: number; model?: string },
	deps: ReplyDeps
): Promise<RegenerateResult> {
	const conversation = await conversations.findConversation(db, userId, conversationId);
	if (!conversation) return { ok: false, code: 'not_found', message: 'No such conversation' };
	let prompt = await messages.findMessage(db, userId, input.messageId);
	if (prompt?.role === 'assistant' && prompt.parent_id !== null)
		prompt = await messages.findMessage(db, userId, prompt.parent_id);
	if (!prompt || prompt.conversation_id !== conversationId || prompt.role !== 'user') {
		return {
			ok: false,
			code: 'invalid',
			message: 'messageId: no such message to answer in this conversation'
		};
	}
	const target = await replyTarget(
		db,
		input.model ?? conversation.model ?? (await deps.defaultModel()),
		conversation,
		input,
		deps
	);
	if (!target) return BAD_MODEL;
	const { ref, params } = target;
	const userMessageId = prompt.id;
	const refusal = await judgeText(
		db,
		{ kind: 'prompt', text: prompt.content },
		guardFor(db, userId, deps)
	);
	const slot = refusal ? null : ((await deps.takeSlot?.(ref.provider, userId)) ?? null);
	let handedOver = false;
	try {
		const result = await db.transaction().execute(async (trx) => {
			const full = (await atJobCap(trx, userId)) ?? (await overfull(trx, conversationId, 1, 0));
			if (full) return full;
			const now = Date.now();
			if (refusal)
				await countRefusal(trx, refusal, now, { userId, source: 'chat', text: prompt.content });
			const { reply, job } = await enqueueReply(trx, {
				userId,
				conversationId,
				userMessageId,
				ref,
				params,
				now,
				refusal: refusal?.message,
				slot
			});
			await conversations.updateConversation(trx, userId, conversationId, { updated_at: now });
			return {
				ok: true as const,
				reply: toMessageDto(reply, refusal ? undefined : job.id),
				job,
				enqueued: refusal ? null : job,
				history: slot ? await readPromptHistory(trx, job) : null
			};
		});
		if (!result.ok) return result;
		const { enqueued, history } = result;
		if (enqueued) {
			handedOver = !!(slot && history);
			deps.enqueued(enqueued, slot && history ? { slot, history } : undefined);
		}
		return { ok: true, reply: result.reply, job: toJobDto(result.job) };
	} finally {
		if (!handedOver) slot?.release();
	}
}
