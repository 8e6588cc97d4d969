// A direct reader of the OpenAI chat-completions stream for llama.cpp's server: one POST through
// the provider's guarded fetch (its pooled keep-alive connections) and a line parser over the
// decoded body that keeps only the unfinished line between chunks — no SDK layers, no re-buffering.
import { describeFailure } from '$lib/server/llm/errors';
import type { GuardedFetch } from '$lib/server/net/guarded-fetch';
import type { ChatEvent, ChatRequest, FinishReason } from '$lib/server/llm/types';
import { endedEarly, mapFinish, usageEvent, type WireUsage } from '$lib/server/llm/openai-chat';
import { toChatCompletionMessages } from '$lib/server/llm/vision';

export interface CompletionsStreamOptions {
	providerName: string;
	/** Ends in /v1. */
	baseUrl: string;
	apiKey: string | null;
	fetch: GuardedFetch;
	extraBody?: (request: ChatRequest) => Record<string, unknown>;
}

interface Chunk {
	choices?: {
		delta?: { content?: string | null; reasoning_content?: string | null };
		finish_reason?: string | null;
	}[];
	usage?: WireUsage | null;
	timings?: unknown;
	error?: { message?: string; code?: number };
}

/** An upstream refusal in the shape describeFailure reads (status and the body's `error`). */
export class UpstreamError extends Error {
	constructor(
		readonly status: number,
		readonly error: unknown
	) {
		super(`HTTP ${status}`);
	}
}

/**
 * The `data:` payloads of an SSE body until `[DONE]` or the end, grouped by the read that brought
 * them: a reader that falls behind gets everything waiting in one batch (one step downstream, not
 * one per token).
 */
export async function* dataBatches(
	body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>
): AsyncGenerator<string[]> {
	const decoder = new TextDecoder();
	let rest = '';
	let ended = false;
	// Leaving early (a cancel, a parse error) closes the body (for-await's return): not read out.
	for await (const value of body as AsyncIterable<Uint8Array>) {
		// After [DONE], read what is left so the connection goes back to the pool.
		if (ended) continue;
		const text = rest + decoder.decode(value, { stream: true });
		const batch: string[] = [];
		let start = 0;
		for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
			const line =
				text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
			start = end + 1;
			if (!line.startsWith('data:')) continue; // blank separators, comments, other fields
			const data = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
			if (data === '[DONE]') {
				ended = true;
				break;
			}
			batch.push(data);
		}
		rest = start === 0 ? text : text.slice(start);
		if (batch.length > 0) yield batch;
	}
}

/**
 * POSTs a streaming `/chat/completions` request, through the guarded fetch's stream path where it
 * has one. No answer at all (refused, unresolvable, a port fetch will not use) is reported as the
 * OpenAI SDK says it.
 */
export async function postCompletions(
	fetch: GuardedFetch,
	baseUrl: string,
	post: { headers: Record<string, string>; body: string; signal: AbortSignal }
) {
	const url = `${baseUrl}/chat/completions`;
	return (
		fetch.postStream ? fetch.postStream(url, post) : fetch(url, { method: 'POST', ...post })
	).catch((error: unknown) => {
		throw new Error('Connection error.', { cause: error });
	});
}

export async function* streamChatCompletions(
	options: CompletionsStreamOptions,
	request: ChatRequest,
	signal: AbortSignal
): AsyncGenerator<ChatEvent> {
	let finished: FinishReason | null = null;
	try {
		const post = {
			headers: {
				'content-type': 'application/json',
				accept: 'text/event-stream',
				...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {})
			},
			body: JSON.stringify({
				model: request.model,
				messages: toChatCompletionMessages(request.messages),
				stream: true,
				stream_options: { include_usage: true },
				...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
				...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
				...(options.extraBody?.(request) ?? {})
			}),
			signal
		};
		const res = await postCompletions(options.fetch, options.baseUrl, post);
		if (!res.ok || !res.body) {
			const text = await res.text().catch(() => '');
			let body: { error?: unknown } | null = null;
			try {
				body = JSON.parse(text) as { error?: unknown };
			} catch {
				// not JSON: the status says enough
			}
			throw new UpstreamError(res.status, body?.error ?? body);
		}
		// Deltas that came in one read go on as one event per run of a channel: the same text in
		// the same order, one trip through the guard, the bus and the SSE write instead of many.
		for await (const batch of dataBatches(res.body)) {
			if (signal.aborted) return; // chunks already buffered must not outlive a cancel
			let pending: { type: 'text' | 'reasoning'; text: string } | null = null;
			for (const data of batch) {
				const chunk = JSON.parse(data) as Chunk;
				if (chunk.error) {
					if (pending) yield pending;
					throw new UpstreamError(chunk.error.code ?? 500, chunk.error);
				}
				const choice = chunk.choices?.[0];
				const reasoning = choice?.delta?.reasoning_content;
				if (reasoning) {
					if (pending?.type === 'reasoning') pending.text += reasoning;
					else {
						if (pending) yield pending;
						pending = { type: 'reasoning', text: reasoning };
					}
				}
				const content = choice?.delta?.content;
				if (content) {
					if (pending?.type === 'text') pending.text += content;
					else {
						if (pending) yield pending;
						pending = { type: 'text', text: content };
					}
				}
				if (!choice?.finish_reason && !chunk.usage) continue;
				if (pending) yield pending;
				pending = null;
				if (choice?.finish_reason) {
					finished = mapFinish(choice.finish_reason);
					yield { type: 'finish', reason: finished };
				}
				if (chunk.usage) yield usageEvent(chunk.usage, chunk.timings);
			}
			if (pending) yield pending;
		}
		if (!finished && !signal.aborted) yield endedEarly(options.providerName);
	} catch (error) {
		if (signal.aborted) return;
		yield { type: 'error', error: describeFailure(error, options.providerName, options.apiKey) };
	}
}
