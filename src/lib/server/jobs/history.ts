// What a reply is written from: the system prompt and the message path, capped by characters so
// a huge conversation never sends megabytes upstream. The system prompt and the newest message
// always go; older messages are dropped oldest first. (Fitting the model's exact context window
// by tokens is a later step; this is the safety cap.)
import type { ChatMessage } from '$lib/server/llm/types';

/** About 100k tokens: more than most context windows, far below what a conversation can hold. */
export const MAX_HISTORY_CHARS = 400_000;

/** `messages` (system first, newest last) within `maxChars`, keeping system and newest. */
export function capHistory(messages: ChatMessage[], maxChars = MAX_HISTORY_CHARS): ChatMessage[] {
	const system = messages.filter((m) => m.role === 'system');
	const turns = messages.filter((m) => m.role !== 'system');
	const newest = turns.at(-1);
	let budget = maxChars - system.reduce((sum, m) => sum + m.content.length, 0);
	budget -= newest?.content.length ?? 0;
	const kept: ChatMessage[] = [];
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
