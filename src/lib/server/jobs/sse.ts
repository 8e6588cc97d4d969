// Any stream of SSE events as a streaming Response: keepalive comments while it waits, a bounded
// queue for a client that stops reading (dropped past the limit; it resumes with Last-Event-ID),
// and one end, however it comes (the source ends, the client leaves, the signal aborts).

export const KEEPALIVE_MS = 15_000;
const RETRY_HINT_MS = 2_000;
/** What the stream queues ahead of a reading client before it asks for no more. */
const HIGH_WATER_BYTES = 64 * 1024;
/** Queued for a client that does not read: past this it is dropped (it resumes from its id). */
export const BUFFER_LIMIT_BYTES = 1024 * 1024;

export const SSE_HEADERS = {
	'content-type': 'text/event-stream; charset=utf-8',
	'cache-control': 'no-cache, no-transform',
	'x-accel-buffering': 'no',
	connection: 'keep-alive'
} as const;

export interface SseEvent {
	id?: number | string;
	event: string;
	data: unknown;
}

export interface SseOptions {
	status?: number;
	keepaliveMs?: number;
	bufferLimitBytes?: number;
	/** Ends the stream (e.g. its session ended). */
	signal?: AbortSignal;
	/** Called once when the stream ends, however it ends. */
	onEnd?: () => void;
	/**
	 * Events of this name that follow one written less than `ms` ago are held and written together
	 * when that much time has passed (or at once before any other event): fewer writes for a fast
	 * stream, each event unchanged with its id; the first, and any after a pause, go out at once.
	 */
	batch?: { event: string; ms: number };
}

/**
 * Streams what `source` yields. `source` gets a signal that aborts when the stream ends early
 * (client gone, dropped, `options.signal`): a source waiting for its next event must stop then.
 */
export function toSseResponse(
	source: (signal: AbortSignal) => AsyncIterable<SseEvent>,
	options: SseOptions = {}
): Response {
	const keepaliveMs = options.keepaliveMs ?? KEEPALIVE_MS;
	const bufferLimit = options.bufferLimitBytes ?? BUFFER_LIMIT_BYTES;
	const encoder = new TextEncoder();
	const stop = new AbortController();
	let end: (how: 'close' | 'drop' | 'gone') => void = () => {};

	const body = new ReadableStream<Uint8Array>(
		{
			start(controller) {
				let ended = false;
				const timers: { keepalive?: NodeJS.Timeout; batch?: NodeJS.Timeout } = {};
				const abort = () => end('close');
				end = (how) => {
					if (ended) return;
					ended = true;
					clearInterval(timers.keepalive);
					clearTimeout(timers.batch);
					options.signal?.removeEventListener('abort', abort);
					stop.abort();
					// 'gone': the client cancelled the stream; there is nothing left to close.
					if (how === 'close') controller.close();
					else if (how === 'drop') controller.error(new Error('SSE client fell too far behind'));
					options.onEnd?.();
				};
				const queuedBytes = () => HIGH_WATER_BYTES - (controller.desiredSize ?? 0);
				const write = (chunk: string) => {
					if (ended) return;
					if (queuedBytes() > bufferLimit) return end('drop');
					controller.enqueue(encoder.encode(chunk));
				};
				if (options.signal?.aborted) return end('close');
				options.signal?.addEventListener('abort', abort, { once: true });
				// A client that is behind has data to read already; a keepalive would only queue.
				timers.keepalive = setInterval(
					() => queuedBytes() <= 0 && write(': keepalive\n\n'),
					keepaliveMs
				);
				write(`retry: ${RETRY_HINT_MS}\n: connected\n\n`);
				const batch = options.batch;
				let held = '';
				let batchWrittenAt = -Infinity;
				const flush = () => {
					clearTimeout(timers.batch);
					timers.batch = undefined;
					batchWrittenAt = performance.now();
					if (held) write(held);
					held = '';
				};
				void (async () => {
					try {
						for await (const e of source(stop.signal)) {
							if (ended) break;
							const id = e.id === undefined ? '' : `id: ${e.id}\n`;
							const text = `${id}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
							if (batch && e.event === batch.event) {
								const wait = batchWrittenAt + batch.ms - performance.now();
								if (wait > 0 || held) {
									held += text;
									timers.batch ??= setTimeout(flush, Math.max(0, wait));
								} else {
									held = text;
									flush();
								}
								continue;
							}
							if (held) flush();
							write(text);
						}
					} catch {
						// The source failed (e.g. the database is going away): end; the client reconnects.
					}
					if (held) flush();
					end('close');
				})();
			},
			cancel() {
				end('gone');
			}
		},
		{ highWaterMark: HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength }
	);
	return new Response(body, { status: options.status ?? 200, headers: SSE_HEADERS });
}
