// HTTP for the OpenAI-compatible API (/v1): errors in OpenAI's shape
// `{ error: { message, type, param, code } }` with its statuses, bodies read with a byte cap,
// completions sent as OpenAI's SSE (`data: {chunk}` … `data: [DONE]`) or folded into one object.
import { readCapped } from '$lib/server/http';
import type { WireChunk } from '$lib/server/llm/types';
import { chunkChoices, chunkText } from '$lib/server/llm/wire';
import type { V1Error } from '$lib/server/services/v1-admission';
import type { OpenAiUsage, V1Completion, V1Event } from '$lib/server/services/v1-chat';

/** Image parts arrive inline as data URLs, so a /v1 body may be larger than other API bodies. */
export const V1_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

export const isV1 = (pathname: string) => pathname === '/v1' || pathname.startsWith('/v1/');

const TYPE_BY_STATUS: Record<number, string> = {
	400: 'invalid_request_error',
	401: 'invalid_request_error',
	403: 'invalid_request_error',
	404: 'invalid_request_error',
	405: 'invalid_request_error',
	413: 'invalid_request_error',
	415: 'invalid_request_error',
	421: 'invalid_request_error',
	429: 'rate_limit_error'
};

export function v1ErrorResponse(error: Omit<V1Error, 'type'> & { type?: string }): Response {
	const headers: Record<string, string> = {
		'content-type': 'application/json; charset=utf-8',
		'cache-control': 'no-store'
	};
	if (error.retryAfterSeconds !== undefined)
		headers['retry-after'] = String(error.retryAfterSeconds);
	if (error.status === 401) headers['www-authenticate'] = 'Bearer';
	const body = {
		error: {
			message: error.message,
			type: error.type ?? TYPE_BY_STATUS[error.status] ?? 'api_error',
			param: error.param,
			code: error.code
		}
	};
	return new Response(JSON.stringify(body), { status: error.status, headers });
}

/** A short way to the common refusals. */
export function v1Error(
	status: number,
	code: string | null,
	message: string,
	retryAfterSeconds?: number
): Response {
	return v1ErrorResponse({ status, code, param: null, message, retryAfterSeconds });
}

export async function readV1Json(
	request: Request
): Promise<{ ok: true; value: unknown } | { ok: false; response: Response }> {
	if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? ''))
		return {
			ok: false,
			response: v1Error(415, 'unsupported_media_type', 'Send the body as application/json')
		};
	const text = await readCapped(request, V1_BODY_LIMIT_BYTES);
	if (text === null)
		return {
			ok: false,
			response: v1Error(
				413,
				'payload_too_large',
				`Body is larger than ${V1_BODY_LIMIT_BYTES} bytes`
			)
		};
	let value: unknown;
	let nul = false;
	try {
		// As readJson: NUL cannot be stored (PostgreSQL text refuses it) and means nothing here.
		value = JSON.parse(text, (key, item: unknown) => {
			if (key.includes('\0') || (typeof item === 'string' && item.includes('\0'))) nul = true;
			return item;
		});
	} catch {
		return { ok: false, response: v1Error(400, 'invalid_json', 'The body is not valid JSON') };
	}
	if (nul)
		return {
			ok: false,
			response: v1Error(400, null, 'Text must not contain NUL (\\u0000) characters')
		};
	return { ok: true, value };
}

const encoder = new TextEncoder();
const sseData = (value: unknown) => encoder.encode(`data: ${JSON.stringify(value)}\n\n`);
/**
 * Chunks that come faster than this after one was written go out together in one write (each
 * still its own `data:` line): as for the chat's deltas (jobs/events.ts DELTA_BATCH_MS).
 */
export const CHUNK_BATCH_MS = 4;

/**
 * Streams the completion as OpenAI does; the first event was already read (an error there was
 * answered with a status). The client going away aborts the request (`abort`).
 */
export function completionSse(
	completion: V1Completion,
	first: V1Event | null,
	rest: AsyncIterator<V1Event>,
	abort: () => void,
	batchMs = CHUNK_BATCH_MS
): Response {
	let pending: V1Event | null = first;
	let usage: OpenAiUsage | null = null;
	let done = false;
	let held = '';
	/** Whether what is held carries text: only a write with text starts a batch window, so the
	 * first text after the role-only chunk is never held. */
	let heldText = false;
	let writtenAt = -Infinity;
	let timer: NodeJS.Timeout | undefined;
	const flush = (controller: ReadableStreamDefaultController<Uint8Array>) => {
		clearTimeout(timer);
		timer = undefined;
		if (heldText) writtenAt = performance.now();
		if (held) controller.enqueue(encoder.encode(held));
		held = '';
		heldText = false;
	};
	/** A chunk, at once or held for the batch; true when it was written now. */
	const send = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: WireChunk) => {
		held += `data: ${JSON.stringify(chunk)}\n\n`;
		heldText ||= chunkText(chunk) !== '';
		const wait = writtenAt + batchMs - performance.now();
		if (wait > 0) {
			timer ??= setTimeout(() => flush(controller), wait);
			return false;
		}
		flush(controller);
		return true;
	};
	const stream = new ReadableStream<Uint8Array>({
		async pull(controller) {
			for (;;) {
				let event = pending;
				pending = null;
				if (!event) {
					const next = await rest.next();
					if (next.done) {
						flush(controller);
						if (!done) {
							done = true;
							if (usage && completion.includeUsage)
								controller.enqueue(
									sseData({
										id: completion.id,
										object: 'chat.completion.chunk',
										created: completion.created,
										model: completion.model,
										choices: [],
										usage
									})
								);
							controller.enqueue(encoder.encode('data: [DONE]\n\n'));
						}
						controller.close();
						return;
					}
					event = next.value;
				}
				if (event.type === 'usage') {
					usage = event.usage;
					continue;
				}
				if (event.type === 'error') {
					flush(controller);
					// Mid-stream: OpenAI's SDKs raise an error event's `error` as an APIError.
					const { status: _s, retryAfterSeconds: _r, ...error } = event.error;
					controller.enqueue(sseData({ error }));
					done = true;
					continue;
				}
				if (send(controller, event.chunk)) return;
			}
		},
		async cancel() {
			clearTimeout(timer);
			abort();
			await rest.return?.(undefined);
		}
	});
	return new Response(stream, {
		headers: {
			'content-type': 'text/event-stream; charset=utf-8',
			'cache-control': 'no-store',
			'x-accel-buffering': 'no'
		}
	});
}

interface FoldedToolCall {
	id?: string;
	type: 'function';
	function: { name: string; arguments: string };
}

/** A non-streaming client's answer: the chunks folded into one chat.completion. */
export async function foldCompletion(
	completion: V1Completion,
	first: V1Event | null,
	rest: AsyncIterator<V1Event>
): Promise<Response> {
	let content = '';
	let reasoning = '';
	let finish: string | null = null;
	let usage: OpenAiUsage | null = null;
	const calls: FoldedToolCall[] = [];
	let event: V1Event | null = first;
	for (;;) {
		if (!event) {
			const next = await rest.next();
			if (next.done) break;
			event = next.value;
		}
		if (event.type === 'error') return v1ErrorResponse(event.error);
		if (event.type === 'usage') usage = event.usage;
		else foldChunk(event.chunk);
		event = null;
	}
	function foldChunk(chunk: WireChunk) {
		for (const choice of chunkChoices(chunk)) {
			if (choice.finish_reason) finish = choice.finish_reason;
			const delta = choice.delta;
			if (!delta) continue;
			if (typeof delta.content === 'string') content += delta.content;
			if (typeof delta.reasoning_content === 'string') reasoning += delta.reasoning_content;
			for (const call of delta.tool_calls ?? []) {
				const at = call.index ?? calls.length;
				const into = (calls[at] ??= { type: 'function', function: { name: '', arguments: '' } });
				if (call.id) into.id = call.id;
				if (call.function?.name) into.function.name += call.function.name;
				if (call.function?.arguments) into.function.arguments += call.function.arguments;
			}
		}
	}
	const message: Record<string, unknown> = {
		role: 'assistant',
		content: calls.length > 0 && content === '' ? null : content,
		refusal: null
	};
	if (reasoning) message.reasoning_content = reasoning;
	if (calls.length > 0) message.tool_calls = calls.filter(Boolean);
	const body = {
		id: completion.id,
		object: 'chat.completion',
		created: completion.created,
		model: completion.model,
		choices: [{ index: 0, message, finish_reason: finish ?? 'stop', logprobs: null }],
		usage: usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
	};
	return new Response(JSON.stringify(body), {
		headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }
	});
}
