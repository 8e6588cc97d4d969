// Anthropic's native Messages API: system prompt apart, alternating turns, extended thinking with a
// token budget, and its own usage counts (input at message_start, output at message_delta).
import { describeFailure } from '$lib/server/llm/errors';
import { FALLBACK_MODELS } from '$lib/server/llm/fallback-models';
import { cloudModelSeesImages } from '$lib/server/llm/vision';
import {
	cloudWindow,
	DEFAULT_CLOUD_CONCURRENCY,
	type ProviderOptions
} from '$lib/server/llm/provider-options';
import type {
	ChatEvent,
	ChatMessage,
	ChatRequest,
	FinishReason,
	ModelList,
	Provider
} from '$lib/server/llm/types';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
const DEFAULT_MAX_TOKENS = 8_192;
const THINKING_BUDGET = { low: 1_024, medium: 4_096, high: 16_384 } as const;

/** The SDK is loaded on first use: most installs never talk to Anthropic. */
async function client(options: ProviderOptions) {
	const { default: Anthropic } = await import('@anthropic-ai/sdk');
	return new Anthropic({
		apiKey: options.apiKey ?? '',
		baseURL: options.baseUrl,
		fetch: options.fetch as never,
		maxRetries: 0
	});
}

type ImageType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif';
type AnthropicBlock =
	| { type: 'text'; text: string }
	| { type: 'image'; source: { type: 'base64'; media_type: ImageType; data: string } };
type AnthropicTurn = { role: 'user' | 'assistant'; content: string | AnthropicBlock[] };

/** A turn's content as blocks: its images first (as Anthropic advises), then its text. */
function blocksOf(m: ChatMessage): AnthropicBlock[] {
	return [
		...(m.images ?? []).map((image) => ({
			type: 'image' as const,
			source: { type: 'base64' as const, media_type: image.type as ImageType, data: image.base64 }
		})),
		{ type: 'text', text: m.content }
	];
}

/** Anthropic wants the system prompt apart and strictly alternating user/assistant turns. */
export function toAnthropicMessages(messages: ChatMessage[]) {
	const system = messages
		.filter((m) => m.role === 'system')
		.map((m) => m.content)
		.join('\n\n');
	const turns: AnthropicTurn[] = [];
	for (const m of messages) {
		if (m.role === 'system') continue;
		const last = turns[turns.length - 1];
		if (last && last.role === m.role) {
			if (typeof last.content === 'string' && !m.images?.length) last.content += `\n\n${m.content}`;
			else
				last.content = [
					...(typeof last.content === 'string'
						? [{ type: 'text' as const, text: last.content }]
						: last.content),
					...blocksOf(m)
				];
		} else turns.push({ role: m.role, content: m.images?.length ? blocksOf(m) : m.content });
	}
	if (turns[0]?.role === 'assistant') turns.unshift({ role: 'user', content: '(continue)' });
	// A final assistant turn is a prefill (Continue); Anthropic refuses one ending in whitespace.
	const final = turns.at(-1);
	if (final?.role === 'assistant' && typeof final.content === 'string')
		final.content = final.content.trimEnd();
	return { system, turns };
}

function mapStop(reason: string | null | undefined): FinishReason {
	if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
	if (reason === 'max_tokens') return 'length';
	if (reason === 'refusal') return 'content_filter';
	return 'other';
}

function requestBody(request: ChatRequest) {
	const { system, turns } = toAnthropicMessages(request.messages);
	const thinking =
		request.reasoning && request.reasoning !== 'off' ? THINKING_BUDGET[request.reasoning] : 0;
	// With thinking, max_tokens must leave room past its budget; without, the caller's limit holds.
	const maxTokens = thinking
		? Math.max(request.maxTokens ?? DEFAULT_MAX_TOKENS, thinking + 1_024)
		: (request.maxTokens ?? DEFAULT_MAX_TOKENS);
	return {
		model: request.model,
		max_tokens: maxTokens,
		messages: turns,
		stream: true as const,
		...(system ? { system } : {}),
		...(thinking ? { thinking: { type: 'enabled' as const, budget_tokens: thinking } } : {}),
		// Anthropic refuses a temperature together with extended thinking.
		...(request.temperature !== undefined && !thinking
			? { temperature: Math.min(request.temperature, 1) }
			: {})
	};
}

export function createAnthropicProvider(options: ProviderOptions): Provider {
	async function* stream(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatEvent> {
		let input = 0;
		let cacheRead = 0;
		let cacheWrite = 0;
		let output = 0;
		let finished = false;
		try {
			const events = await (
				await client(options)
			).messages.create(requestBody(request), { signal });
			for await (const event of events) {
				if (signal.aborted) return;
				if (event.type === 'message_start') {
					// Anthropic's input_tokens excludes cache reads and writes; Hearth's prompt count includes them.
					cacheRead = event.message.usage.cache_read_input_tokens ?? 0;
					cacheWrite = event.message.usage.cache_creation_input_tokens ?? 0;
					input = (event.message.usage.input_tokens ?? 0) + cacheRead + cacheWrite;
				} else if (event.type === 'content_block_delta') {
					if (event.delta.type === 'text_delta') yield { type: 'text', text: event.delta.text };
					else if (event.delta.type === 'thinking_delta')
						yield { type: 'reasoning', text: event.delta.thinking };
				} else if (event.type === 'message_delta') {
					output = event.usage.output_tokens ?? output;
					if (event.delta.stop_reason) {
						finished = true;
						yield { type: 'finish', reason: mapStop(event.delta.stop_reason) };
					}
				}
			}
			if (!finished && !signal.aborted) {
				yield {
					type: 'error',
					error: {
						code: 'interrupted',
						retryable: true,
						message: `${options.name} ended the reply before finishing`
					}
				};
				return;
			}
			yield {
				type: 'usage',
				promptTokens: input,
				completionTokens: output,
				cachedTokens: cacheRead,
				cacheWriteTokens: cacheWrite
			};
		} catch (error) {
			if (signal.aborted) return;
			yield { type: 'error', error: describeFailure(error, options.name, options.apiKey) };
		}
	}

	return {
		id: options.id,
		kind: 'anthropic',
		name: options.name,
		baseUrl: options.baseUrl,
		async listModels(signal): Promise<ModelList> {
			try {
				const page = await (await client(options)).models.list({}, { signal });
				return {
					source: 'live',
					models: page.data.map((m) => ({
						id: m.id,
						vision: cloudModelSeesImages('anthropic', m.id)
					}))
				};
			} catch (error) {
				const fallback =
					options.enabledModels.length > 0 ? options.enabledModels : FALLBACK_MODELS.anthropic;
				return {
					source: 'fallback',
					models: fallback.map((id) => ({ id, vision: cloudModelSeesImages('anthropic', id) })),
					error: describeFailure(error, options.name, options.apiKey)
				};
			}
		},
		streamChat: stream,
		async concurrency() {
			return options.maxConcurrency ?? DEFAULT_CLOUD_CONCURRENCY;
		},
		contextWindow: (model) => cloudWindow(options, model)
	};
}
