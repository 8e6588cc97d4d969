// Follows one reply job over SSE. The chat sends a message and reads its reply in one request
// (POST with `Accept: text/event-stream`); if that stream breaks, or for a reply already under
// way, EventSource on /api/jobs/:id/events resumes from the last id (sending exactly the missing
// text) and reconnects by itself after a network loss. Every event is a `JobEvent`.
import { ApiError } from '$lib/client/api';
import { parseSse } from '$lib/client/sse';
import type { MessageDto, SendResultDto, UsageDto } from '$lib/shared/dto';
import {
	JOB_EVENT_NAMES,
	unreachable,
	type JobEvent,
	type ReplyStatus
} from '$lib/shared/job-events';

export interface JobStreamHandlers {
	delta(part: { text?: string; reasoning?: string }): void;
	usage(usage: UsageDto): void;
	status(status: ReplyStatus): void;
	done(message: MessageDto): void;
	failed(error: { code: string; message: string }): void;
	connection(state: 'open' | 'reconnecting'): void;
	/** The id of each event read, to resume after it (`followJob`'s `lastEventId`). */
	position?(id: string): void;
}

/** Applies one event; true when the reply is over (the stream ends after it). */
function apply(event: JobEvent, handlers: JobStreamHandlers): boolean {
	switch (event.event) {
		case 'job':
			return false; // the one-request mode's first event, read by `sendAndStream`
		case 'delta':
			handlers.delta(event.data);
			return false;
		case 'usage':
			handlers.usage(event.data);
			return false;
		case 'status':
			handlers.status(event.data.status);
			return false;
		case 'done':
			handlers.done(event.data.message);
			return true;
		case 'error':
			handlers.failed(event.data);
			return true;
		default:
			return unreachable(event);
	}
}

const asEvent = (name: string, data: string) =>
	({ event: name, data: JSON.parse(data) }) as JobEvent;

export function followJob(
	jobId: number,
	handlers: JobStreamHandlers,
	lastEventId: string | null = null
): () => void {
	const resume = lastEventId ? `?lastEventId=${encodeURIComponent(lastEventId)}` : '';
	const source = new EventSource(`/api/jobs/${jobId}/events${resume}`);
	source.addEventListener('open', () => handlers.connection('open'));
	for (const name of JOB_EVENT_NAMES) {
		source.addEventListener(name, (e) => {
			// Our `event: error` carries data; a connection error does not.
			if (e instanceof MessageEvent && typeof e.data === 'string') {
				if (e.lastEventId) handlers.position?.(e.lastEventId);
				if (apply(asEvent(name, e.data), handlers)) source.close();
			} else if (source.readyState === EventSource.CONNECTING) {
				handlers.connection('reconnecting');
			} else {
				handlers.failed({
					code: 'closed',
					message: 'The reply stream closed; reload to see the reply'
				});
			}
		});
	}
	return () => source.close();
}

/**
 * POSTs a message with `Accept: text/event-stream`: resolves with what the JSON answer would hold
 * (the `job` event) and `follow`, which reads the rest of the same response and, if it breaks
 * before the reply is over, goes on with `followJob` from the last id. Refusals throw ApiError.
 */
export async function sendAndStream(
	url: string,
	body: unknown
): Promise<{ result: SendResultDto; follow(handlers: JobStreamHandlers): () => void }> {
	const controller = new AbortController();
	let res: Response;
	try {
		res = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
			body: JSON.stringify(body),
			signal: controller.signal
		});
	} catch {
		throw new ApiError(0, 'offline', 'Cannot reach Hearth — check your connection');
	}
	if (!res.ok || !res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body) {
		const data = (await res.json().catch(() => null)) as {
			error?: { code: string; message: string };
		} | null;
		throw new ApiError(
			res.status,
			data?.error?.code ?? 'error',
			data?.error?.message ?? `Request failed (${res.status})`
		);
	}
	const events = parseSse(res.body);
	const first = await events.next().catch(() => null);
	if (!first || first.done || first.value.event !== 'job') {
		controller.abort();
		throw new ApiError(0, 'offline', 'Cannot reach Hearth — check your connection');
	}
	const result = JSON.parse(first.value.data) as SendResultDto;
	let lastId = first.value.id;
	return {
		result,
		follow(handlers) {
			let close = () => controller.abort();
			void (async () => {
				try {
					handlers.connection('open');
					for await (const e of events) {
						lastId = e.id ?? lastId;
						if (e.id) handlers.position?.(e.id);
						if (apply(asEvent(e.event, e.data), handlers)) return;
					}
				} catch {
					if (controller.signal.aborted) return;
				}
				// The response ended or broke before the reply did: resume by events.
				close = followJob(result.job.id, handlers, lastId);
			})();
			return () => close();
		}
	};
}
