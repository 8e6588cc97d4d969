// A reply's events for one client, as an async generator of JobEvents: everything after the
// client's Last-Event-ID (a position: text and reasoning offsets), from this process's live output,
// the checkpoint, or the finished reply; then the live tail. Never a gap, never a duplicate.
// `toSseResponse` (jobs/sse.ts) sends it with keepalives and the slow-client bound.
import type { Database } from '$lib/server/db/database';
import type { BusEvent, Channel, JobBus } from '$lib/server/jobs/bus';
import * as jobs from '$lib/server/repos/jobs';
import { findMessage } from '$lib/server/repos/messages';
import { toMessageDto } from '$lib/server/services/dto';
import { decodePosition, encodePosition, isFinalJobState } from '$lib/shared/dto';
import type { JobEvent, PositionedJobEvent } from '$lib/shared/job-events';
import { KEEPALIVE_MS, toSseResponse, type SseOptions } from '$lib/server/jobs/sse';

/** At most one checkpoint read per this, when live deltas run ahead of what the client has. */
const RESYNC_MS = 250;
/**
 * Deltas that come faster than this after one was written go out together (each still its own
 * event and id): a fast model's tokens cost one write per this instead of one each; well under a
 * display frame, and a delta after a pause is written at once.
 */
export const DELTA_BATCH_MS = 4;

export interface JobEventsOptions {
	/** A first event, e.g. the stored messages when enqueue and stream share a request. */
	prelude?: JobEvent;
	/** Ends the events (the client left, the session ended). */
	signal?: AbortSignal;
	/** How long to wait for a bus event before checking that a job running elsewhere has not ended. */
	recheckMs?: number;
}

/**
 * The bus events of one job, queued until the generator takes them. `take` also returns (null)
 * when `nudge` is called — by one interval per stream, not a timer per event — or on abort.
 */
class Inbox {
	private readonly queue: BusEvent[] = [];
	private wake: (() => void) | null = null;
	private nudged = false;
	push(event: BusEvent) {
		this.queue.push(event);
		this.wake?.();
	}
	unshift(event: BusEvent) {
		this.queue.unshift(event);
	}
	nudge() {
		this.nudged = true;
		this.wake?.();
	}
	async take(signal: AbortSignal | undefined): Promise<BusEvent | null> {
		if (this.queue.length === 0 && !this.nudged && !signal?.aborted) {
			await new Promise<void>((resolve) => (this.wake = resolve));
			this.wake = null;
		}
		const event = this.queue.shift();
		if (event) return event;
		this.nudged = false;
		return null;
	}
}

const wait = (ms: number, signal?: AbortSignal) =>
	new Promise<void>((resolve) => {
		const timer = setTimeout(resolve, ms);
		signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
	});

export async function* jobEvents(
	deps: { db: Database; bus: JobBus },
	job: { id: number; user_id: number },
	lastEventId: string | null,
	options: JobEventsOptions = {}
): AsyncGenerator<PositionedJobEvent> {
	const { db, bus } = deps;
	const { signal } = options;
	const recheckMs = options.recheckMs ?? KEEPALIVE_MS;
	const have: Record<Channel, number> = decodePosition(lastEventId);
	const at = (event: JobEvent): PositionedJobEvent => ({
		...event,
		id: encodePosition(have.text, have.reasoning)
	});
	/** What the client lacks of `piece` (the channel's text from offset `from`), if anything. */
	const catchUp = (channel: Channel, piece: string, from: number): PositionedJobEvent[] => {
		const end = from + piece.length;
		if (end <= have[channel] || from > have[channel]) return [];
		const missing = piece.slice(have[channel] - from);
		have[channel] = end;
		return [
			at({ event: 'delta', data: channel === 'text' ? { text: missing } : { reasoning: missing } })
		];
	};
	/** The final row: whatever text is still missing, the usage, then done or error. */
	async function* final(): AsyncGenerator<PositionedJobEvent> {
		const row = await jobs.findJob(db, job.id);
		const reply = row?.assistant_message_id
			? await findMessage(db, job.user_id, row.assistant_message_id)
			: undefined;
		if (!row || !reply) {
			yield at({
				event: 'error',
				data: { code: 'not_found', message: 'This reply no longer exists' }
			});
			return;
		}
		yield* catchUp('reasoning', reply.reasoning ?? '', 0);
		yield* catchUp('text', reply.content, 0);
		const dto = toMessageDto(reply);
		if (dto.usage) yield at({ event: 'usage', data: dto.usage });
		if (row.state === 'failed')
			yield at({
				event: 'error',
				data: { code: row.error_code ?? 'failed', message: row.error_message ?? 'The reply failed' }
			});
		else yield at({ event: 'done', data: { message: dto } });
	}

	if (signal?.aborted) return;
	// Subscribe before reading the snapshot, so nothing emitted in between is missed.
	const inbox = new Inbox();
	let subscribed = true;
	const off = bus.subscribe(job.id, (event) => inbox.push(event));
	const recheck = setInterval(() => inbox.nudge(), recheckMs);
	// Synchronously on abort: a stream that ended holds no subscription, not even for a tick.
	const unsubscribe = () => {
		if (subscribed) off();
		subscribed = false;
		clearInterval(recheck);
		inbox.nudge();
	};
	signal?.addEventListener('abort', unsubscribe, { once: true });
	try {
		if (options.prelude) yield at(options.prelude);
		const live = bus.snapshot(job.id);
		if (live) {
			if (live.status === 'loading_model' && !live.text && !live.reasoning)
				yield at({ event: 'status', data: { status: live.status } });
			yield* catchUp('reasoning', live.reasoning, 0);
			yield* catchUp('text', live.text, 0);
		} else {
			const row = await jobs.findJob(db, job.id);
			if (!row || isFinalJobState(row.state)) return yield* final();
			yield* catchUp('reasoning', row.partial_reasoning, 0);
			yield* catchUp('text', row.partial_text, 0);
		}
		let lastResync = 0;
		while (!signal?.aborted) {
			const event = await inbox.take(signal);
			if (signal?.aborted) return;
			if (!event) {
				// Quiet for a while on a job running elsewhere: if its end notification was lost, end here.
				if (bus.snapshot(job.id)) continue;
				const row = await jobs.findJob(db, job.id);
				if (!row || isFinalJobState(row.state)) return yield* final();
				continue;
			}
			if (event.type === 'usage') yield at({ event: 'usage', data: event.usage });
			else if (event.type === 'status')
				yield at({ event: 'status', data: { status: event.status } });
			else if (event.type === 'end') return yield* final();
			else if (event.offset <= have[event.channel])
				yield* catchUp(event.channel, event.text, event.offset);
			else {
				// A delta beyond what the client has: its start was never seen here (the job runs on
				// another instance and we joined, or the relay reconnected). Fill from the checkpoint,
				// at most every RESYNC_MS; the checkpoint is never more than a second behind.
				inbox.unshift(event);
				const pause = lastResync + RESYNC_MS - Date.now();
				if (pause > 0) await wait(pause, signal);
				lastResync = Date.now();
				const row = await jobs.findJob(db, job.id);
				if (!row || isFinalJobState(row.state)) return yield* final();
				yield* catchUp('reasoning', row.partial_reasoning, 0);
				yield* catchUp('text', row.partial_text, 0);
			}
		}
	} finally {
		signal?.removeEventListener('abort', unsubscribe);
		unsubscribe();
	}
}

/** A reply's events as an SSE Response (GET …/events, or the one-request POST). */
export function jobEventResponse(
	deps: { db: Database; bus: JobBus },
	job: { id: number; user_id: number },
	lastEventId: string | null,
	options: SseOptions & { prelude?: JobEvent } = {}
): Response {
	const { prelude, ...sse } = options;
	return toSseResponse(
		(signal) => jobEvents(deps, job, lastEventId, { prelude, signal, recheckMs: sse.keepaliveMs }),
		{ batch: { event: 'delta', ms: DELTA_BATCH_MS }, ...sse }
	);
}
