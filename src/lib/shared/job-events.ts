// The one contract for a reply's event stream (GET /api/jobs/:id/events, and POST …/messages with
// `Accept: text/event-stream`): the server yields these, the browser switches on them exhaustively.
// Each event's SSE id is a position (`encodePosition` in shared/dto.ts): what the client has so far.
import type { MessageDto, SendResultDto, UsageDto } from '$lib/shared/dto';

export type JobEvent =
	/** First event of the one-request mode: what the 202 JSON body would have held. */
	| { event: 'job'; data: SendResultDto }
	| { event: 'delta'; data: { text?: string; reasoning?: string } }
	| { event: 'usage'; data: UsageDto }
	/** Before the first token: the model is being loaded into memory, or has just been loaded. */
	| { event: 'status'; data: { status: ReplyStatus } }
	/** The reply is final; `message` is its stored row. The stream ends after it. */
	| { event: 'done'; data: { message: MessageDto } }
	/** The reply failed (or no longer exists). The stream ends after it. */
	| { event: 'error'; data: { code: string; message: string } };

/** What a reply waits on before its first token (shown as "Loading model…"). */
export type ReplyStatus = 'loading_model' | 'model_loaded';

export type JobEventName = JobEvent['event'];

/** Every event name, e.g. for EventSource listeners; the `satisfies` keeps it complete. */
export const JOB_EVENT_NAMES = [
	'job',
	'delta',
	'usage',
	'status',
	'done',
	'error'
] as const satisfies Record<number, JobEventName>;
type Missing = Exclude<JobEventName, (typeof JOB_EVENT_NAMES)[number]>;
/** Fails to compile when an event is added to the union but not to JOB_EVENT_NAMES. */
export const JOB_EVENT_NAMES_COMPLETE: [Missing] extends [never] ? true : never = true;

/** A JobEvent with the SSE id it goes out with (its position). */
export type PositionedJobEvent = JobEvent & { id: number };

/** For the `default:` of an exhaustive switch over events. */
export function unreachable(value: never): never {
	throw new Error(`unhandled: ${JSON.stringify(value)}`);
}
