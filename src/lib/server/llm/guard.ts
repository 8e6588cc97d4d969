// The guarantees every provider gets, applied once by the registry around its adapter: a first-
// token and an idle watchdog, nothing after an abort (even from an adapter that ignores its
// signal), a cap on the reply's size, and a usage estimate (marked) when the provider reports none.
// The OpenAI-compatible passthrough (/v1) streams its raw chunks through the same guard.
import type {
	ChatEvent,
	ChatRequest,
	ChunkEvent,
	PassthroughRequest,
	Provider
} from '$lib/server/llm/types';
import { chunkText } from '$lib/server/llm/wire';

export interface StreamGuard {
	firstTokenTimeoutMs: number;
	idleTimeoutMs: number;
	/** Text and reasoning together, in UTF-16 units. */
	maxOutputChars: number;
}

export const MAX_OUTPUT_CHARS = 200_000;
const WATCHDOG_MAX_CHECK_MS = 1_000;
/** A rough count for English text when the provider reports none (marked as estimated). */
const CHARS_PER_TOKEN_ESTIMATE = 4;

const COUNT_TIMEOUT_MS = 5_000;

export const estimateTokens = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN_ESTIMATE);

/** `text`'s tokens by the model's own tokenizer where the provider has one, else from its length. */
async function countTokens(provider: Pick<Provider, 'countTokens'>, text: string) {
	if (!text) return 0;
	const counted = await provider
		.countTokens?.(text, AbortSignal.timeout(COUNT_TIMEOUT_MS))
		.catch(() => null);
	return counted ?? estimateTokens(text.length);
}

/** `provider` with its chat streams guarded; everything else as it is. */
export function guardProvider<P extends Provider>(provider: P, guard: StreamGuard): P {
	const { streamPassthrough } = provider;
	return {
		...provider,
		streamChat: (request: ChatRequest, signal: AbortSignal) =>
			guardStream(provider, request, signal, guard),
		...(streamPassthrough
			? {
					streamPassthrough: (request: PassthroughRequest, signal: AbortSignal) =>
						guardEvents(
							provider,
							(s) => streamPassthrough.call(provider, request, s),
							passthroughPromptText(request),
							signal,
							guard
						)
				}
			: {})
	};
}

/** The text of a passthrough request's messages, for a usage estimate. */
function passthroughPromptText(request: PassthroughRequest): string {
	const messages = Array.isArray(request.body.messages) ? request.body.messages : [];
	return messages
		.map((m: { content?: unknown }) =>
			typeof m?.content === 'string'
				? m.content
				: Array.isArray(m?.content)
					? m.content
							.map((p: { text?: unknown }) => (typeof p?.text === 'string' ? p.text : ''))
							.join('')
					: ''
		)
		.join('\n');
}

export function guardStream(
	provider: Pick<Provider, 'name' | 'streamChat' | 'countTokens'>,
	request: ChatRequest,
	signal: AbortSignal,
	guard: StreamGuard
): AsyncGenerator<ChatEvent> {
	return guardEvents(
		provider,
		(s) => provider.streamChat(request, s),
		request.messages.map((m) => m.content).join('\n'),
		signal,
		guard
	);
}

async function* guardEvents<E extends ChatEvent | ChunkEvent>(
	provider: Pick<Provider, 'name' | 'countTokens'>,
	open: (signal: AbortSignal) => AsyncIterable<E>,
	promptText: string,
	signal: AbortSignal,
	guard: StreamGuard
): AsyncGenerator<E | ChatEvent> {
	if (signal.aborted) return;
	const upstream = new AbortController();
	// Wakes the wait for the adapter's next event when the stream is stopped.
	let stop: ((value: 'stopped') => void) | null = null;
	upstream.signal.addEventListener('abort', () => stop?.('stopped'), { once: true });
	const onAbort = () => upstream.abort(signal.reason);
	signal.addEventListener('abort', onAbort, { once: true });
	// The watchdog: a chunk only stamps the time (no timer per token); one coarse interval checks.
	let fired: 'first' | 'idle' | null = null;
	let started = Date.now();
	let lastChunk = 0;
	// While a model loads (llama.cpp's router) the first-token clock waits; the adapter bounds the load.
	let loading = false;
	const { firstTokenTimeoutMs: firstMs, idleTimeoutMs: idleMs } = guard;
	const watchdog = setInterval(
		() => {
			const now = Date.now();
			if (loading) return;
			if (lastChunk === 0 ? now - started >= firstMs : now - lastChunk >= idleMs) {
				fired = lastChunk === 0 ? 'first' : 'idle';
				upstream.abort();
			}
		},
		Math.max(1, Math.min(firstMs, idleMs, WATCHDOG_MAX_CHECK_MS) / 4)
	);
	const events = open(upstream.signal)[Symbol.asyncIterator]();
	let chars = 0;
	let output = '';
	let usageSeen = false;
	let failed = false;
	try {
		for (;;) {
			if (upstream.signal.aborted) break;
			const next = await new Promise<IteratorResult<E> | 'stopped'>((resolve, reject) => {
				stop = resolve;
				events.next().then(resolve, reject);
			});
			if (next === 'stopped' || next.done) break;
			const event = next.value;
			if (event.type === 'text' || event.type === 'reasoning' || event.type === 'chunk') {
				lastChunk = Date.now();
				const text = event.type === 'chunk' ? chunkText(event.chunk) : event.text;
				chars += text.length;
				if (!usageSeen) output += text;
				yield event;
				if (chars > guard.maxOutputChars) {
					yield {
						type: 'error',
						error: {
							code: 'too_large',
							retryable: false,
							message: `The reply grew past ${guard.maxOutputChars} characters and was stopped; the text so far is kept.`
						}
					};
					return;
				}
			} else {
				if (event.type === 'usage') usageSeen = true;
				else if (event.type === 'error') failed = true;
				else if (event.type === 'status') {
					loading = event.status === 'loading_model';
					started = Date.now();
				} else lastChunk = Date.now();
				yield event;
			}
		}
		if (signal.aborted) return;
		if (fired) {
			yield {
				type: 'error',
				error: {
					code: 'timeout',
					retryable: true,
					message:
						fired === 'first'
							? `${provider.name} did not start answering within ${Math.round(firstMs / 1000)} s`
							: `${provider.name} stopped sending for ${Math.round(idleMs / 1000)} s`
				}
			};
		} else if (!usageSeen && !failed) {
			const [promptTokens, completionTokens] = await Promise.all([
				countTokens(provider, promptText),
				countTokens(provider, output)
			]);
			yield { type: 'usage', promptTokens, completionTokens, estimated: true };
		}
	} finally {
		clearInterval(watchdog);
		signal.removeEventListener('abort', onAbort);
		upstream.abort();
		// An adapter still waiting (it ignored the abort) is told to finish; nobody waits for it.
		void Promise.resolve(events.return?.()).catch(() => {});
	}
}
