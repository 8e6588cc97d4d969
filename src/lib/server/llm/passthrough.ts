// The OpenAI chat-completions request passed through to a provider that speaks the protocol
// (llama.cpp, OpenAI, compatible servers), for /v1: always streamed upstream (a non-streaming
// client gets the chunks folded), each chunk yielded as it came, with the usage, finish and
// error events read from them. Embeddings are one POST. Both through the provider's guarded fetch.
import { describeFailure } from '$lib/server/llm/errors';
import {
	dataBatches,
	postCompletions,
	UpstreamError
} from '$lib/server/llm/chat-completions-stream';
import { endedEarly, mapFinish, usageEvent } from '$lib/server/llm/openai-chat';
import { chunkChoices, chunkUsage } from '$lib/server/llm/wire';
import type { GuardedFetch } from '$lib/server/net/guarded-fetch';
import type {
	EmbeddingResult,
	PassthroughEvent,
	PassthroughRequest,
	WireChunk
} from '$lib/server/llm/types';

export interface PassthroughOptions {
	providerName: string;
	/** Ends in /v1 (or the compatible server's equivalent). */
	baseUrl: string;
	apiKey: string | null;
	fetch: GuardedFetch;
	/** The field this provider reads the output limit from. */
	maxTokensField: 'max_tokens' | 'max_completion_tokens';
}

function headers(options: PassthroughOptions, accept: string): Record<string, string> {
	return {
		'content-type': 'application/json',
		accept,
		...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {})
	};
}

async function refusal(res: { status: number; text(): Promise<string> }): Promise<UpstreamError> {
	const text = await res.text().catch(() => '');
	let body: { error?: unknown } | null = null;
	try {
		body = JSON.parse(text) as { error?: unknown };
	} catch {
		// not JSON: the status says enough
	}
	return new UpstreamError(res.status, body?.error ?? body);
}

/** The body as this provider wants it: streamed with usage, the output limit in its field. */
export function upstreamBody(
	body: Record<string, unknown>,
	field: PassthroughOptions['maxTokensField']
): Record<string, unknown> {
	const { max_tokens, max_completion_tokens, ...rest } = body;
	const limit = max_completion_tokens ?? max_tokens;
	return {
		...rest,
		...(limit !== undefined && limit !== null ? { [field]: limit } : {}),
		stream: true,
		stream_options: { include_usage: true }
	};
}

export async function* streamPassthrough(
	options: PassthroughOptions,
	request: PassthroughRequest,
	signal: AbortSignal
): AsyncGenerator<PassthroughEvent> {
	let finished = false;
	try {
		const post = {
			headers: headers(options, 'text/event-stream'),
			body: JSON.stringify(upstreamBody(request.body, options.maxTokensField)),
			signal
		};
		const res = await postCompletions(options.fetch, options.baseUrl, post);
		if (!res.ok || !res.body) throw await refusal(res);
		for await (const batch of dataBatches(res.body)) {
			if (signal.aborted) return;
			for (const data of batch) {
				const chunk = JSON.parse(data) as WireChunk & { error?: { code?: number } };
				if (chunk.error) throw new UpstreamError(chunk.error.code ?? 500, chunk.error);
				yield { type: 'chunk', chunk };
				for (const choice of chunkChoices(chunk)) {
					if (choice.finish_reason) {
						finished = true;
						yield { type: 'finish', reason: mapFinish(choice.finish_reason) };
					}
				}
				const usage = chunkUsage(chunk);
				if (usage) yield usageEvent(usage, chunk.timings);
			}
		}
		if (!finished && !signal.aborted) yield endedEarly(options.providerName);
	} catch (error) {
		if (signal.aborted) return;
		yield { type: 'error', error: describeFailure(error, options.providerName, options.apiKey) };
	}
}

export async function embedPassthrough(
	options: Omit<PassthroughOptions, 'maxTokensField'>,
	body: Record<string, unknown>,
	signal: AbortSignal
): Promise<EmbeddingResult> {
	try {
		const res = await options
			.fetch(`${options.baseUrl}/embeddings`, {
				method: 'POST',
				headers: headers({ ...options, maxTokensField: 'max_tokens' }, 'application/json'),
				body: JSON.stringify(body),
				signal
			})
			.catch((error: unknown) => {
				throw new Error('Connection error.', { cause: error });
			});
		if (!res.ok) throw await refusal(res);
		return { ok: true, body: (await res.json()) as Record<string, unknown> };
	} catch (error) {
		return { ok: false, error: describeFailure(error, options.providerName, options.apiKey) };
	}
}
