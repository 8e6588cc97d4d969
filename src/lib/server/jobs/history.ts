// What a reply is written from: the system prompt and the message path, first capped by
// characters (cheap, so a huge conversation is never even counted), then fitted by tokens into
// the model's context window. The system prompt and the newest message always go; older
// messages are left out oldest first, and the caller learns which.
import type { ChatMessage } from '$lib/server/llm/types';

/** About 100k tokens: more than most context windows, far below what a conversation can hold. */
export const MAX_HISTORY_CHARS = 400_000;

type Turn = Pick<ChatMessage, 'role' | 'content'>;

/** `messages` (system first, newest last) within `maxChars`, keeping system and newest. */
export function capHistory<M extends Turn>(messages: M[], maxChars = MAX_HISTORY_CHARS): M[] {
	const system = messages.filter((m) => m.role === 'system');
	const turns = messages.filter((m) => m.role !== 'system');
	const newest = turns.at(-1);
	let budget = maxChars - system.reduce((sum, m) => sum + m.content.length, 0);
	budget -= newest?.content.length ?? 0;
	const kept: M[] = [];
	for (let i = turns.length - 2; i >= 0; i--) {
		const m = turns[i]!;
		if (m.content.length > budget) break;
		budget -= m.content.length;
		kept.unshift(m);
	}
	// A history that starts with a reply reads oddly to most chat templates.
	while (kept[0]?.role === 'assistant') kept.shift();
	return [...system, ...kept, ...(newest ? [newest] : [])];
}

/** One message of a prompt with its size: text, attachments and template overhead together. */
export interface CountedTurn<M = ChatMessage> {
	/** The stored message's id; null for text Hearth adds (system prompt, continuation turn). */
	id: number | null;
	message: M;
	tokens: number;
}

export interface FitInput<M> {
	system: CountedTurn<M>[];
	/** Earlier turns, oldest first: these may be left out. */
	history: CountedTurn<M>[];
	/** What the reply answers (the newest message, or a partial reply to continue): always sent. */
	tail: CountedTurn<M>[];
	/** The model's context window, in tokens. */
	window: number;
	/** Tokens kept free for the reply (its max_tokens). */
	replyBudget: number;
}

export type Fit<M> =
	| {
			ok: true;
			messages: M[];
			/** Ids of the history turns left out, oldest first. */
			omitted: number[];
			/** Prompt tokens of what is sent. */
			used: number;
	  }
	/** System prompt, tail and reply budget alone exceed the window. */
	| { ok: false; needed: number; available: number };

const sum = (turns: CountedTurn<unknown>[]) => turns.reduce((total, t) => total + t.tokens, 0);

/** The newest run of history that fits beside system and tail; the rest left out, oldest first. */
export function fitContext<M extends Turn>(input: FitInput<M>): Fit<M> {
	const available = input.window - input.replyBudget;
	const fixed = sum(input.system) + sum(input.tail);
	if (fixed > available) return { ok: false, needed: fixed, available };
	let used = fixed;
	let first = input.history.length;
	while (first > 0 && used + input.history[first - 1]!.tokens <= available)
		used += input.history[--first]!.tokens;
	// A history that starts with a reply reads oddly to most chat templates.
	while (first < input.history.length && input.history[first]!.message.role === 'assistant')
		used -= input.history[first++]!.tokens;
	const kept = input.history.slice(first);
	return {
		ok: true,
		messages: [...input.system, ...kept, ...input.tail].map((t) => t.message),
		omitted: input.history.slice(0, first).flatMap((t) => (t.id === null ? [] : [t.id])),
		used
	};
}
