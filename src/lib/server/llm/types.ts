// The provider interface every adapter implements: a model list and a chat stream. Streams are
// AsyncIterable plus an AbortSignal; expected failures arrive as a final `error` event, typed, with
// a message a user can read — adapters never throw for them.
import type { ProviderViewDto, ReasoningDto } from '$lib/shared/dto';
import type { ReplyStatus } from '$lib/shared/job-events';

/** The kinds of provider Hearth has an adapter for (llm/registry.ts builds each). */
export const PROVIDER_KINDS = [
	'llamacpp',
	'openai',
	'anthropic',
	'openai_compatible'
] as const satisfies readonly ProviderViewDto['kind'][];
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** A configured provider (from the environment or the admin), its key decrypted. */
export interface ProviderRecord {
	id: string;
	kind: ProviderKind;
	name: string;
	baseUrl: string;
	apiKey: string | null;
	allowInternal: boolean;
	maxConcurrency: number | null;
	/** Tokens; overrides what the server reports or the cloud table says. */
	contextWindow?: number | null;
	enabledModels: string[];
	source: 'config' | 'admin';
}

export type ChatRole = 'system' | 'user' | 'assistant';

/** An image sent with a user message; each adapter puts it in its provider's own format. */
export interface ChatImage {
	/** image/jpeg, image/png, image/webp or image/gif (decided from the bytes). */
	type: string;
	base64: string;
}

export interface ChatMessage {
	role: ChatRole;
	content: string;
	/** User messages only. */
	images?: ChatImage[];
}

export type ReasoningLevel = ReasoningDto;

export interface ChatRequest {
	model: string;
	messages: ChatMessage[];
	temperature?: number;
	maxTokens?: number;
	reasoning?: ReasoningLevel;
}

/** llama.cpp's per-reply timings, kept as the server reports them. */
export interface LlamaTimings {
	promptN?: number;
	promptMs?: number;
	predictedN?: number;
	predictedMs?: number;
	predictedPerSecond?: number;
	cacheN?: number;
}

export const PROVIDER_ERROR_CODES = [
	'unreachable',
	'timeout',
	'auth',
	'rate_limited',
	'not_found',
	'bad_request',
	'upstream',
	'bad_response',
	'blocked',
	'interrupted',
	'too_large'
] as const;
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[number];

export interface ProviderFailure {
	code: ProviderErrorCode;
	/** For the user: Hearth's own words, never upstream text. */
	message: string;
	retryable: boolean;
	status?: number;
	/** For admins and logs: what the upstream said, with keys redacted. */
	detail?: string;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'other';

export type ChatEvent =
	| { type: 'text'; text: string }
	| { type: 'reasoning'; text: string }
	| {
			type: 'usage';
			promptTokens: number;
			completionTokens: number;
			/** Of promptTokens: read from the provider's prompt cache. */
			cachedTokens?: number;
			/** Of promptTokens: written to the provider's prompt cache (Anthropic). */
			cacheWriteTokens?: number;
			/** Of completionTokens: spent on reasoning. */
			reasoningTokens?: number;
			timings?: LlamaTimings;
			/** Counted by Hearth from the text (llm/guard.ts): the provider reported none. */
			estimated?: boolean;
	  }
	| { type: 'finish'; reason: FinishReason }
	/** Before any text: the model is being loaded (llama.cpp's router), or has finished loading. */
	| { type: 'status'; status: ReplyStatus }
	| { type: 'error'; error: ProviderFailure };

/** One `chat.completion.chunk` as an OpenAI-compatible upstream sent it (llm/wire.ts reads it). */
export type WireChunk = Record<string, unknown>;
export type ChunkEvent = { type: 'chunk'; chunk: WireChunk };
/**
 * The /v1 passthrough: each upstream chunk as it came, plus the usage, finish and error events
 * read from them (so the guard and the accounting see what a chat stream shows them).
 */
export type PassthroughEvent = ChunkEvent | ChatEvent;

/** A chat-completions body already checked by Hearth, `model` the provider's own model id. */
export interface PassthroughRequest {
	body: Record<string, unknown>;
}

export type EmbeddingResult =
	{ ok: true; body: Record<string, unknown> } | { ok: false; error: ProviderFailure };

export interface ModelInfo {
	id: string;
	contextLength?: number;
	/** Takes images (llama.cpp: /props modalities; cloud: llm/vision.ts). */
	vision?: boolean;
	/** llama.cpp's router: whether the model is in memory (a chat with it loads it). */
	state?: 'loaded' | 'loading' | 'unloaded' | 'failed';
}

export type ModelList =
	| { source: 'live'; models: ModelInfo[] }
	| { source: 'fallback'; models: ModelInfo[]; error: ProviderFailure };

export type ImageResult =
	{ ok: true; png: Uint8Array; model: string } | { ok: false; error: ProviderFailure };

export interface Provider {
	readonly id: string;
	readonly kind: ProviderKind;
	readonly name: string;
	readonly baseUrl: string;
	listModels(signal?: AbortSignal): Promise<ModelList>;
	streamChat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatEvent>;
	/** How many replies may run at once (llama.cpp: its slot count). */
	concurrency(): Promise<number>;
	/** The model's context window in tokens, where known (admin override, server, cloud table). */
	contextWindow?(model: string): Promise<number | null>;
	/** The model's own token count for `text`, where the provider can tell (llama.cpp /tokenize). */
	countTokens?(text: string, signal: AbortSignal): Promise<number | null>;
	/**
	 * Tokens of `messages` rendered by the model's chat template, ready for a reply (llama.cpp
	 * /apply-template then /tokenize): how Hearth learns what the template adds per message.
	 */
	countPrompt?(messages: ChatMessage[], signal: AbortSignal): Promise<number | null>;
	/** Image generation, where the provider offers it (OpenAI). */
	generateImage?(prompt: string, signal: AbortSignal): Promise<ImageResult>;
	/**
	 * The OpenAI chat-completions request passed through as it is (tools, response_format, image
	 * parts…), streamed; only providers that speak that protocol (llama.cpp, OpenAI, compatible).
	 */
	streamPassthrough?(
		request: PassthroughRequest,
		signal: AbortSignal
	): AsyncIterable<PassthroughEvent>;
	/** OpenAI's /embeddings, where the provider speaks it. */
	embed?(body: Record<string, unknown>, signal: AbortSignal): Promise<EmbeddingResult>;
}
