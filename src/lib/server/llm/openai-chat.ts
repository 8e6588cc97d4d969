// Chat streaming over the OpenAI chat-completions protocol (llama.cpp, OpenAI, and compatible
// servers), with first-token and idle timeouts and llama.cpp's extras (timings, reasoning_content).
import OpenAI from 'openai';
import type { GuardedFetch } from '$lib/server/net/guarded-fetch';
import { describeFailure } from '$lib/server/llm/errors';
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
	firstTokenTimeoutMs: number;
	idleTimeoutMs: number;
	/** Adds request fields for this provider (e.g. reasoning effort). */
	extraBody?: (request: ChatRequest) => Record<string, unknown>;
	/** OpenAI's newer models take max_completion_tokens instead of max_tokens. */
	maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

export function createOpenAiClient(
	options: Pick<OpenAiChatOptions, 'baseUrl' | 'apiKey' | 'fetch'>
) {
	return new OpenAI({
		baseURL: options.baseUrl,
		apiKey: options.apiKey ?? 'no-key',
		fetch: options.fetch as never,
		maxRetries: 0,
		// Without a stored key nothing is sent: no bearer header at all.
		defaultHeaders: options.apiKey ? {} : { Authorization: null }
	});
}

function mapFinish(reason: string | null | undefined): FinishReason {
	if (reason === 'stop' || reason === 'length' || reason === 'content_filter') return reason;
	return 'other';
}

function readTimings(raw: unknown): LlamaTimings | undefined {
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

const WATCHDOG_MAX_CHECK_MS = 1_000;

/**
 * Aborts `controller` when the first chunk takes longer than `firstMs`, or a later gap longer than
 * `idleMs`. A chunk only stamps the time (no timer per token); one coarse interval checks.
 */
function watchdog(controller: AbortController, firstMs: number, idleMs: number) {
	let fired: 'first' | 'idle' | null = null;
	const started = Date.now();
	let lastChunk = 0;
	const timer = setInterval(
		() => {
			const now = Date.now();
			if (lastChunk === 0 ? now - started >= firstMs : now - lastChunk >= idleMs) {
				fired = lastChunk === 0 ? 'first' : 'idle';
				controller.abort();
			}
		},
		Math.max(1, Math.min(firstMs, idleMs, WATCHDOG_MAX_CHECK_MS) / 4)
	);
	return {
		tick() {
			lastChunk = Date.now();
		},
		stop: () => clearInterval(timer),
		fired: () => fired
	};
}

export async function* streamOpenAiChat(
	options: OpenAiChatOptions,
	request: ChatRequest,
	signal: AbortSignal
): AsyncIterable<ChatEvent> {
	const client = createOpenAiClient(options);
	const upstream = new AbortController();
	const onAbort = () => upstream.abort();
	signal.addEventListener('abort', onAbort, { once: true });
	const dog = watchdog(upstream, options.firstTokenTimeoutMs, options.idleTimeoutMs);
	let usageSeen = false;
	let finished = false;
	try {
		const body: Record<string, unknown> = {
			model: request.model,
			messages: request.messages,
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
			dog.tick();
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
			if (raw.usage) {
				usageSeen = true;
				yield {
					type: 'usage',
					promptTokens: raw.usage.prompt_tokens ?? 0,
					completionTokens: raw.usage.completion_tokens ?? 0,
					cachedTokens: raw.usage.prompt_tokens_details?.cached_tokens ?? undefined,
					reasoningTokens: raw.usage.completion_tokens_details?.reasoning_tokens ?? undefined,
					timings: readTimings(raw.timings)
				};
			}
		}
		if (!finished && !signal.aborted) {
			yield {
				type: 'error',
				error: {
					code: 'interrupted',
					retryable: true,
					message: `${options.providerName} ended the reply before finishing`
				}
			};
		} else if (!usageSeen && !signal.aborted) {
			yield { type: 'usage', promptTokens: 0, completionTokens: 0 };
		}
	} catch (error) {
		if (signal.aborted) return;
		const fired = dog.fired();
		if (fired) {
			yield {
				type: 'error',
				error: {
					code: 'timeout',
					retryable: true,
					message:
						fired === 'first'
							? `${options.providerName} did not start answering within ${Math.round(options.firstTokenTimeoutMs / 1000)} s`
							: `${options.providerName} stopped sending for ${Math.round(options.idleTimeoutMs / 1000)} s`
				}
			};
			return;
		}
		yield { type: 'error', error: describeFailure(error, options.providerName, options.apiKey) };
	} finally {
		dog.stop();
		signal.removeEventListener('abort', onAbort);
		upstream.abort();
	}
}

export async function listOpenAiModels(
	options: Pick<OpenAiChatOptions, 'baseUrl' | 'apiKey' | 'fetch'>,
	signal?: AbortSignal
): Promise<ModelInfo[]> {
	const client = createOpenAiClient(options);
	const page = await client.models.list({ signal });
	return page.data.map((m) => ({ id: m.id })).sort((a, b) => a.id.localeCompare(b.id));
}
