// Built-in model lists, used only when a provider's live list cannot be fetched (and marked so).
import type { ProviderKind } from '$lib/server/db/schema';

export const FALLBACK_MODELS: Record<ProviderKind, readonly string[]> = {
	llamacpp: [],
	openai: [
		'gpt-5',
		'gpt-5-mini',
		'gpt-4.1',
		'gpt-4.1-mini',
		'gpt-4o',
		'gpt-4o-mini',
		'o3',
		'o4-mini'
	],
	anthropic: ['claude-opus-4-1', 'claude-sonnet-4-5', 'claude-haiku-4-5'],
	openai_compatible: []
};

/** OpenAI's list holds embeddings, audio and image models too; keep the chat ones. */
export function isOpenAiChatModel(id: string): boolean {
	return (
		/^(gpt-|o\d|chatgpt-)/.test(id) &&
		!/(embedding|audio|realtime|transcribe|tts|image|search)/.test(id)
	);
}

/** OpenAI reasoning models take `reasoning_effort` and `max_completion_tokens`. */
export function isOpenAiReasoningModel(id: string): boolean {
	return /^(o\d|gpt-5)/.test(id);
}
