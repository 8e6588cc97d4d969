// Chat streaming over the OpenAI chat-completions protocol (llama.cpp, OpenAI, and compatible
// servers), with llama.cpp's extras (timings, reasoning_content). Timeouts, the size cap and the
// usage fallback are the registry's wrapper's (llm/guard.ts).
import type OpenAI from 'openai';
import type { GuardedFetch } from '$lib/server/net/guarded-fetch';
import { describeFailure } from '$lib/server/llm/errors';
import { toChatCompletionMessages } from '$lib/server/llm/vision';
import type {
	ChatEvent,
	ChatRequest,
	FinishReason,
	LlamaTimings,
	ModelInfo
} from '$lib/server/llm/types';

export interface OpenAiChatOptions {
	providerName: string;
	baseUrl: string;
	apiKey: string | null;
	fetch: GuardedFetch;
	/** Adds request fields for this provider (e.g. reasoning effort). */
	extraBody?: (request: ChatRequest) => Record<string, unknown>;
	/** OpenAI's newer models take max_completion_tokens instead of max_tokens. */
	maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

/** The SDK loads with the first request to such a provider, not with the server. */
export async function createOpenAiClient(
	options: Pick<OpenAiChatOptions, 'baseUrl' | 'apiKey' | 'fetch'>
) {
	const { default: OpenAI } = await import('openai');
	return new OpenAI({
		baseURL: options.baseUrl,
		apiKey: options.apiKey ?? 'no-key',
		fetch: options.fetch as never,
		maxRetries: 0,
		// Without a stored key nothing is sent: no bearer header at all.
		defaultHeaders: options.apiKey ? {} : { Authorization: null }
	});
}

export function mapFinish(reason: string | null | undefined): FinishReason {
	if (reason === 'stop' || reason === 'length' || reason === 'content_filter') return reason;
	return 'other';
}

/** The usage counts of a chat-completions chunk, as OpenAI and llama.cpp report them. */
export interface WireUsage {
	prompt_tokens?: number;
	completion_tokens?: number;
	prompt_tokens_details?: { cached_tokens?: number | null } | null;
	completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export function usageEvent(usage: WireUsage, timings: unknown): ChatEvent {
	return {
		type: 'usage',
		promptTokens: usage.prompt_tokens ?? 0,
		completionTokens: usage.completion_tokens ?? 0,
		cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? undefined,
		reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? undefined,
		timings: readTimings(timings)
	};
}

/** A stream that ended without a finish reason: the reply was cut, and may be retried. */
export function endedEarly(providerName: string): ChatEvent {
	return {
		type: 'error',
		error: {
			code: 'interrupted',
			retryable: true,
			message: `${providerName} ended the reply before finishing`
		}
	};
}

export function readTimings(raw: unknown): LlamaTimings | undefined {
	if (!raw || typeof raw !== 'object') return undefined;
	const t = raw as Record<string, unknown>;
	const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
	return {
		promptN: num(t.prompt_n),
		promptMs: num(t.prompt_ms),
		predictedN: num(t.predicted_n),
		predictedMs: num(t.predicted_ms),
		predictedPerSecond: num(t.predicted_per_second),
		cacheN: num(t.cache_n)
	};
}

export async function* streamOpenAiChat(
	options: OpenAiChatOptions,
	request: ChatRequest,
	signal: AbortSignal
): AsyncIterable<ChatEvent> {
	const client = await createOpenAiClient(options);
	const upstream = new AbortController();
	const onAbort = () => upstream.abort();
	signal.addEventListener('abort', onAbort, { once: true });
	let finished = false;
	try {
		const body: Record<string, unknown> = {
			model: request.model,
			messages: toChatCompletionMessages(request.messages),
			stream: true,
			stream_options: { include_usage: true },
			...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
			...(request.maxTokens !== undefined
				? { [options.maxTokensField ?? 'max_tokens']: request.maxTokens }
				: {}),
			...(options.extraBody?.(request) ?? {})
		};
		const stream = await client.chat.completions.create(
			body as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming,
			{ signal: upstream.signal }
		);
		for await (const chunk of stream) {
			if (signal.aborted) return; // chunks already buffered must not outlive a cancel
			const choice = chunk.choices?.[0];
			const delta = choice?.delta as
				(OpenAI.Chat.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string }) | undefined;
			if (delta?.reasoning_content) yield { type: 'reasoning', text: delta.reasoning_content };
			if (delta?.content) yield { type: 'text', text: delta.content };
			if (choice?.finish_reason) {
				finished = true;
				yield { type: 'finish', reason: mapFinish(choice.finish_reason) };
			}
			const raw = chunk as unknown as { usage?: OpenAI.CompletionUsage | null; timings?: unknown };
			if (raw.usage) yield usageEvent(raw.usage, raw.timings);
		}
		if (!finished && !signal.aborted) yield endedEarly(options.providerName);
	} catch (error) {
		if (signal.aborted) return;
		yield { type: 'error', error: describeFailure(error, options.providerName, options.apiKey) };
	} finally {
		signal.removeEventListener('abort', onAbort);
		upstream.abort();
	}
}

export async function listOpenAiModels(
	options: Pick<OpenAiChatOptions, 'baseUrl' | 'apiKey' | 'fetch'>,
	signal?: AbortSignal
): Promise<ModelInfo[]> {
	const client = await createOpenAiClient(options);
	const page = await client.models.list({ signal });
	return page.data.map((m) => ({ id: m.id })).sort((a, b) => a.id.localeCompare(b.id));
}
