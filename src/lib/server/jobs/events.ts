// GET /api/jobs/:id/events as a stream: everything after the client's Last-Event-ID (a position:
// text and reasoning offsets), from this process's live output, the checkpoint, or the finished
// reply; then the live tail; keepalive comments while waiting. Never a gap, never a duplicate.
// A client that stops reading is dropped once BUFFER_LIMIT_BYTES wait for it; it resumes later
// with Last-Event-ID.
import type { Database } from '$lib/server/db/database';
import type { BusEvent, Channel, JobBus } from '$lib/server/jobs/bus';
import * as jobs from '$lib/server/repos/jobs';
import { findMessage } from '$lib/server/repos/messages';
import { toMessageDto } from '$lib/server/services/dto';
import { decodePosition, encodePosition } from '$lib/shared/dto';

export const KEEPALIVE_MS = 15_000;
const RETRY_HINT_MS = 2_000;
const RESYNC_MS = 250;
/** What the stream queues ahead of a reading client before it asks for no more. */
const HIGH_WATER_BYTES = 64 * 1024;
/** Queued for a client that does not read: past this it is dropped (it resumes from its id). */
export const BUFFER_LIMIT_BYTES = 1024 * 1024;
const TERMINAL = new Set(['done', 'failed', 'cancelled', 'interrupted']);

export const SSE_HEADERS = {
	'content-type': 'text/event-stream; charset=utf-8',
	'cache-control': 'no-cache, no-transform',
	'x-accel-buffering': 'no',
	connection: 'keep-alive'
} as const;

export interface StreamOptions {
	/** A first event (sent with id 0), e.g. the stored message when enqueue and stream share a request. */
	prelude?: { event: string; data: unknown };
	keepaliveMs?: number;
	bufferLimitBytes?: number;
	/** Ends the stream (e.g. its session ended); the client's reconnect is then refused. */
	signal?: AbortSignal;
	/** Called once when the stream ends, however it ends. */
	onEnd?: () => void;
}

export function jobEventStream(
	deps: { db: Database; bus: JobBus },
	job: { id: number; user_id: number },
	lastEventId: string | null,
	options: StreamOptions = {}
): ReadableStream<Uint8Array> {
	const keepaliveMs = options.keepaliveMs ?? KEEPALIVE_MS;
	const bufferLimit = options.bufferLimitBytes ?? BUFFER_LIMIT_BYTES;
	const encoder = new TextEncoder();
	const position = decodePosition(lastEventId);
	const have: Record<Channel, number> = { text: position.text, reasoning: position.reasoning };
	let cleanup = () => {};
	let ended = false;
	const onEnd = () => {
		if (ended) return;
		ended = true;
		options.onEnd?.();
	};

	return new ReadableStream<Uint8Array>(
		{
			async start(controller) {
				let closed = false;
				/** Ends the stream: closed after what is queued, or dropped with the queue discarded. */
				const end = (how: 'close' | 'drop') => {
					if (closed) return;
					closed = true;
					cleanup();
					if (how === 'close') controller.close();
					else controller.error(new Error('SSE client fell too far behind'));
					onEnd();
				};
				const queuedBytes = () => HIGH_WATER_BYTES - (controller.desiredSize ?? 0);
				const write = (chunk: string) => {
					if (closed) return;
					if (queuedBytes() > bufferLimit) return end('drop');
					controller.enqueue(encoder.encode(chunk));
				};
				const id = () => encodePosition(have.text, have.reasoning);
				const send = (event: string, data: unknown) =>
					write(`id: ${id()}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

				/** Sends what the client lacks of `full` (the channel's text from offset `from`). */
				const catchUp = (channel: Channel, piece: string, from: number) => {
					const end = from + piece.length;
					if (end <= have[channel] || from > have[channel]) return;
					const missing = piece.slice(have[channel] - from);
					have[channel] = end;
					send('delta', { [channel]: missing });
				};

				const finish = async () => {
					if (closed) return;
					let row: Awaited<ReturnType<typeof jobs.findJob>>;
					let reply: Awaited<ReturnType<typeof findMessage>>;
					try {
						row = await jobs.findJob(deps.db, job.id);
						reply = row?.assistant_message_id
							? await findMessage(deps.db, job.user_id, row.assistant_message_id)
							: undefined;
					} catch {
						// The database is going away (shutdown): end the stream; the client reconnects later.
						return end('close');
					}
					if (!row || !reply) {
						send('error', { code: 'not_found', message: 'This reply no longer exists' });
					} else {
						catchUp('reasoning', reply.reasoning ?? '', 0);
						catchUp('text', reply.content, 0);
						const dto = toMessageDto(reply);
						if (dto.usage) send('usage', dto.usage);
						if (row.state === 'failed')
							send('error', {
								code: row.error_code ?? 'failed',
								message: row.error_message ?? 'The reply failed'
							});
						else send('done', { message: dto });
					}
					end('close');
				};

				// Events wait in `queued` until the snapshot is sent, and while a gap is being filled.
				let ready = false;
				let resyncing = false;
				let lastResync = 0;
				const queued: BusEvent[] = [];
				const drain = () => {
					while (ready && !resyncing && queued.length > 0) handle(queued.shift()!);
				};
				/**
				 * A delta beyond what the client has: its start was never seen here (the job runs on
				 * another instance and we joined, or the relay reconnected). Fill from the checkpoint,
				 * at most every RESYNC_MS; the checkpoint is never more than a second behind.
				 */
				const resync = async () => {
					if (resyncing) return;
					resyncing = true;
					const wait = lastResync + RESYNC_MS - Date.now();
					if (wait > 0) await new Promise((r) => setTimeout(r, wait));
					lastResync = Date.now();
					let row: Awaited<ReturnType<typeof jobs.findJob>>;
					try {
						row = await jobs.findJob(deps.db, job.id);
					} catch {
						row = undefined;
					}
					resyncing = false;
					if (!row || TERMINAL.has(row.state)) return finish();
					catchUp('reasoning', row.partial_reasoning, 0);
					catchUp('text', row.partial_text, 0);
					drain();
				};
				const handle = (event: BusEvent) => {
					if (event.type === 'delta') {
						if (event.offset > have[event.channel]) {
							queued.unshift(event);
							void resync();
							return;
						}
						catchUp(event.channel, event.text, event.offset);
					} else if (event.type === 'usage') send('usage', event.usage);
					else void finish();
				};
				const unsubscribe = deps.bus.subscribe(job.id, (event) => {
					queued.push(event);
					drain();
				});
				const keepalive = setInterval(() => {
					// A client that is behind has data to read already; a keepalive would only queue.
					if (queuedBytes() <= 0) write(': keepalive\n\n');
					// A job running elsewhere: if its end notification was lost, notice it here.
					if (!deps.bus.snapshot(job.id) && !resyncing) void checkEnded();
				}, keepaliveMs);
				const checkEnded = async () => {
					try {
						const row = await jobs.findJob(deps.db, job.id);
						if (!row || TERMINAL.has(row.state)) await finish();
					} catch {
						// The database is briefly unavailable: the next keepalive tries again.
					}
				};
				const abort = () => end('close');
				cleanup = () => {
					clearInterval(keepalive);
					unsubscribe();
					options.signal?.removeEventListener('abort', abort);
				};
				if (options.signal?.aborted) return end('close');
				options.signal?.addEventListener('abort', abort, { once: true });
				write(`retry: ${RETRY_HINT_MS}\n: connected\n\n`);
				if (options.prelude) send(options.prelude.event, options.prelude.data);

				const live = deps.bus.snapshot(job.id);
				if (live) {
					catchUp('reasoning', live.reasoning, 0);
					catchUp('text', live.text, 0);
				} else {
					let row: Awaited<ReturnType<typeof jobs.findJob>>;
					try {
						row = await jobs.findJob(deps.db, job.id);
					} catch {
						return end('close');
					}
					if (!row || TERMINAL.has(row.state)) return finish();
					catchUp('reasoning', row.partial_reasoning, 0);
					catchUp('text', row.partial_text, 0);
				}
				ready = true;
				drain();
			},
			cancel() {
				cleanup();
				onEnd();
			}
		},
		{ highWaterMark: HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength }
	);
}
