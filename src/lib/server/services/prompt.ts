// What a reply is written from: the system prompts and the conversation's path to the user's
// message, read in one query, capped by characters, then fitted into the model's context window
// by tokens (jobs/history.ts): each message carries its token count (its text and, once they
// land, its attachments), and the oldest turns are left out first. Continue adds the partial
// reply as a prefill (llama.cpp, Anthropic) or with a continuation turn (OpenAI-style APIs).
import type { Executor } from '$lib/server/db/database';
import type { Job } from '$lib/server/db/schema';
import { capHistory, fitContext, type CountedTurn } from '$lib/server/jobs/history';
import {
	tokenCounter,
	tokenUpperBound,
	type TemplateOverhead,
	type TokenCounter
} from '$lib/server/llm/token-count';
import type { ChatMessage, Provider } from '$lib/server/llm/types';
import { promptPath, type PathMessage } from '$lib/server/repos/messages';
import { promptAttachments } from '$lib/server/services/attachments';
import {
	IMAGE_TOKEN_ESTIMATE,
	withAttachments,
	type PromptAttachment
} from '$lib/server/services/attachments-prompt';
import type { MessageStatusDto } from '$lib/shared/dto';

/** Replies that go back upstream as context: finished, or stopped with their text kept. */
const REPLY_STATUSES_IN_CONTEXT: readonly MessageStatusDto[] = ['done', 'cancelled', 'interrupted'];
/** The reply's room when the request sets no max_tokens: this, or a quarter of a small window. */
export const DEFAULT_REPLY_BUDGET_TOKENS = 1_024;
/** The prompt always keeps at least 1/this of the window, whatever max_tokens asks for. */
const MIN_PROMPT_SHARE_DIVISOR = 2;
/** What OpenAI-style APIs (which cannot prefill) are asked after the partial reply. */
export const CONTINUE_INSTRUCTION = 'Continue exactly where you stopped.';
/** Provider kinds that continue a final assistant message as its own text (a prefill). */
const PREFILL_KINDS: readonly Provider['kind'][] = ['llamacpp', 'anthropic'];
/** Passes at shrinking a too-large newest message to fit ("send truncated"). */
const TRUNCATE_PASSES = 4;

export type PromptProvider = Pick<
	Provider,
	'id' | 'kind' | 'countTokens' | 'countPrompt' | 'contextWindow'
>;

/** What the model was sent, for the reply to record and the conversation to show. */
export interface PromptContext {
	/** Prompt tokens as counted before sending. */
	used: number;
	window: number;
	/** Ids of earlier messages left out so the prompt fit, oldest first. */
	omitted: number[];
}

export type Prompt =
	| {
			ok: true;
			messages: ChatMessage[];
			context: PromptContext | null;
			/** With `countLater`: the context, once the tokenizer has counted what it had not yet. */
			counting?: Promise<PromptContext>;
	  }
	| { ok: false; code: 'context_overflow'; message: string; needed: number; available: number };

/** What a prompt is built from, as read from the database. */
export interface PromptHistory {
	systemPrompt: string | null;
	/** The path from the root to the user's message, oldest first. */
	path: PathMessage[];
	/** The attachments of the path's user messages, by message id. */
	attached: Map<number, PromptAttachment[]>;
}

/** The attachments of `path`'s user messages (one query; none when it has no user message). */
export function pathAttachments(db: Executor, path: readonly PathMessage[]) {
	return promptAttachments(
		db,
		path.filter((m) => m.role === 'user').map((m) => m.id)
	);
}

/** Reads what a job's prompt is built from (two queries). */
export async function readPromptHistory(
	db: Executor,
	job: Pick<Job, 'conversation_id' | 'user_message_id'>
): Promise<PromptHistory> {
	const { systemPrompt, path } = await promptPath(db, job.conversation_id, job.user_message_id);
	return { systemPrompt, path, attached: await pathAttachments(db, path) };
}

export interface PromptOptions {
	/** Already read (in the transaction that enqueued a reply that starts at once). */
	history?: PromptHistory;
	/** Fit by this provider's window and tokenizer; without it only the character cap applies. */
	provider?: PromptProvider;
	/** The partial reply a Continue job extends. */
	continueText?: string;
	counter?: TokenCounter;
	/**
	 * Where texts are not counted yet but their byte counts (an upper bound) already fit the whole
	 * conversation, return the messages at once and the exact context as `counting`.
	 */
	countLater?: boolean;
}

/** A message on its way into the prompt: its id (null for system and Continue turns), its
 * text with documents appended, and its images. */
type PromptTurn = { id: number | null } & ChatMessage;

/** Of a job's params (services/chat.ts JobParams): what shapes its prompt. */
interface PromptParams {
	systemPrompt?: string;
	maxTokens?: number;
	truncate?: boolean;
}

/**
 * The room held back for the reply. A max_tokens as large as the window (2,000 on a 1,024-token
 * model) is a ceiling, not a reservation: the prompt keeps at least half the window, and the
 * reply simply ends where the window does.
 */
export function replyBudget(window: number, maxTokens: number | undefined): number {
	if (maxTokens === undefined) return Math.min(DEFAULT_REPLY_BUDGET_TOKENS, Math.floor(window / 4));
	return Math.min(maxTokens, Math.floor(window / MIN_PROMPT_SHARE_DIVISOR));
}

/**
 * The model's window; null when neither the admin, the server nor the cloud table says — then
 * the prompt is only capped by characters (a guess would refuse or trim for no reason).
 */
export async function contextWindowOf(
	provider: PromptProvider,
	model: string
): Promise<number | null> {
	return (await provider.contextWindow?.(model).catch(() => null)) ?? null;
}

export function overflowMessage(needed: number, available: number): string {
	return `This message needs ${needed} tokens but the model has room for ${available} (its context window less the reply's budget). Shorten it, or send it truncated.`;
}

export async function promptFor(
	db: Executor,
	job: Pick<Job, 'conversation_id' | 'user_message_id' | 'model'>,
	params: PromptParams,
	options: PromptOptions = {}
): Promise<Prompt> {
	const { systemPrompt, path, attached } = options.history ?? (await readPromptHistory(db, job));
	const systemText = [systemPrompt, params.systemPrompt].filter(Boolean).join('\n\n');
	const system: ChatMessage[] = systemText ? [{ role: 'system', content: systemText }] : [];
	const turns: PromptTurn[] = path
		.filter((m) => m.role === 'user' || REPLY_STATUSES_IN_CONTEXT.includes(m.status))
		.map((m) => ({
			id: m.id as number | null,
			role: m.role,
			...withAttachments(m.content, attached.get(m.id) ?? [])
		}))
		.filter((m) => m.content || m.images);
	const capped = capHistory([...system.map((m) => ({ id: null, ...m })), ...turns]);
	const { provider, continueText } = options;
	const tail = capped.filter((m) => m.role !== 'system').slice(-1);
	if (continueText) {
		tail.push({ id: null, role: 'assistant', content: continueText });
		if (!provider || !PREFILL_KINDS.includes(provider.kind))
			tail.push({ id: null, role: 'user', content: CONTINUE_INSTRUCTION });
	}
	const history = capped.filter((m) => m.role !== 'system').slice(0, -1);
	const plain = (m: ChatMessage): ChatMessage =>
		m.images
			? { role: m.role, content: m.content, images: m.images }
			: { role: m.role, content: m.content };
	if (!provider)
		return { ok: true, messages: [...system, ...history, ...tail].map(plain), context: null };

	const window = await contextWindowOf(provider, job.model);
	if (window === null)
		return { ok: true, messages: [...system, ...history, ...tail].map(plain), context: null };
	const counter = options.counter ?? tokenCounter;
	const all = [...system.map((m) => ({ id: null, ...m })), ...history, ...tail];
	const overhead = await counter.overhead(provider, job.model);
	const contents = all.map((m) => m.content);
	const counting = counter.countSoon(provider, job.model, contents);
	const fitBy = (counts: readonly number[]) => {
		const counted: CountedTurn[] = all.map((m, i) => ({
			id: m.id,
			message: plain(m),
			tokens: counts[i]! + overhead.perMessage + (m.images?.length ?? 0) * IMAGE_TOKEN_ESTIMATE
		}));
		// The template's once-per-prompt tokens are held back with the reply's budget; the figures
		// reported (used, needed, available) are whole prompts.
		const input = {
			system: counted.slice(0, system.length),
			history: counted.slice(system.length, system.length + history.length),
			tail: counted.slice(system.length + history.length),
			window,
			replyBudget: replyBudget(window, params.maxTokens) + overhead.base
		};
		return { input, fit: fitContext(input) };
	};
	if (options.countLater && counting.known.includes(undefined)) {
		// Every text at its most (its bytes) fits, so the exact fit keeps every message too.
		const bounded = fitBy(counting.known.map((n, i) => n ?? tokenUpperBound(contents[i]!))).fit;
		if (bounded.ok && bounded.omitted.length === 0) {
			const exact = counting.all.then((counts): PromptContext => {
				const fit = fitBy(counts).fit;
				return { used: (fit.ok ? fit.used : bounded.used) + overhead.base, window, omitted: [] };
			});
			return { ok: true, messages: bounded.messages, context: null, counting: exact };
		}
	}
	const { input, fit: first } = fitBy(await counting.all);
	let fit = first;
	if (!fit.ok && params.truncate && input.tail[0]?.message.role === 'user') {
		const excess = fit.needed - fit.available;
		input.tail[0] = await shrinkTurn(counter, provider, job.model, input.tail[0], excess, overhead);
		fit = fitContext(input);
	}
	if (!fit.ok) {
		const needed = fit.needed + overhead.base;
		const available = fit.available + overhead.base;
		return {
			ok: false,
			code: 'context_overflow',
			message: overflowMessage(needed, available),
			needed,
			available
		};
	}
	return {
		ok: true,
		messages: fit.messages,
		context: { used: fit.used + overhead.base, window, omitted: fit.omitted }
	};
}

/** `turn` cut at its end by at least `excess` tokens, re-counted until it fits. */
async function shrinkTurn(
	counter: TokenCounter,
	provider: PromptProvider,
	model: string,
	turn: CountedTurn,
	excess: number,
	overhead: TemplateOverhead
): Promise<CountedTurn> {
	const target = turn.tokens - excess;
	let content = turn.message.content;
	let tokens = turn.tokens;
	for (let pass = 0; pass < TRUNCATE_PASSES && tokens > target; pass++) {
		const keep = Math.max(0, Math.floor(content.length * (target / tokens) * 0.95));
		content = content.slice(0, keep);
		const [counted] = await counter.count(provider, model, [content]);
		tokens = counted! + overhead.perMessage;
	}
	if (tokens > target) content = '';
	return { ...turn, message: { ...turn.message, content }, tokens: Math.min(tokens, target) };
}

/**
 * Before sending: null when `content` fits the model's window beside the system prompt and the
 * reply's budget; else the figures for a `context_overflow` refusal.
 */
export async function measureNewMessage(
	provider: PromptProvider,
	model: string,
	systemText: string,
	content: string,
	maxTokens: number | undefined,
	attachmentTokens = 0,
	counter: TokenCounter = tokenCounter
): Promise<{ needed: number; available: number } | null> {
	const window = await contextWindowOf(provider, model);
	if (window === null) return null;
	const texts = systemText ? [systemText, content] : [content];
	const available = window - replyBudget(window, maxTokens);
	const overhead = await counter.overhead(provider, model);
	const bound = texts.reduce(
		(total, text) => total + tokenUpperBound(text) + overhead.perMessage,
		overhead.base + attachmentTokens
	);
	if (bound <= available) {
		// Fits whatever the tokenizer says: its count (the prompt's fit needs it next) is started
		// here, not waited for.
		void counter.count(provider, model, texts).catch(() => {});
		return null;
	}
	const counts = await counter.count(provider, model, texts);
	const needed = counts.reduce(
		(total, n) => total + n + overhead.perMessage,
		overhead.base + attachmentTokens
	);
	return needed > available ? { needed, available } : null;
}
