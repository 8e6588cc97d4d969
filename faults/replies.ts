// Fault cases' view of replies: each reply's event stream read to its end (the text a user saw),
// and the bounded waits on one polling loop: until given replies are final (settleAll), or until
// nothing in the conversations is queued or streaming (settle).
import type { ApiClient } from '../tests/support/hearth-server';
import { TERMINAL } from '../tests/support/chat';
import { allMessages } from './audit';
import type { MessageDto } from '$lib/shared/dto';

export interface Watched {
	/** The text streamed so far (all of it once `ended` resolved). */
	text: string;
	deltas: number;
	/** Resolves with the final event's name ('done' or 'error'), or null if the stream broke. */
	ended: Promise<string | null>;
	/** Resolves once `count` deltas arrived (or the stream ended first). */
	deltasReached(count: number): Promise<void>;
}

/** Reads a job's events from the start in the background; `signal` bounds it. */
export function watchReply(client: ApiClient, jobId: number, signal: AbortSignal): Watched {
	const waiters: { count: number; resolve: () => void }[] = [];
	const wake = () => {
		for (const w of waiters.filter((w) => watched.deltas >= w.count)) w.resolve();
	};
	async function read() {
		try {
			for await (const event of await client.events(jobId, undefined, signal)) {
				if (event.event === 'delta') {
					watched.text += (JSON.parse(event.data) as { text?: string }).text ?? '';
					watched.deltas++;
					wake();
				} else if (event.event === 'done' || event.event === 'error') return event.event;
			}
			return null;
		} catch {
			return null;
		} finally {
			for (const w of waiters) w.resolve();
		}
	}
	const watched: Watched = {
		text: '',
		deltas: 0,
		ended: read(),
		deltasReached(count) {
			return new Promise((resolve) => {
				waiters.push({ count, resolve });
				wake();
			});
		}
	};
	return watched;
}

export interface Pending {
	client: ApiClient;
	conversationId: number;
	replyId: number;
}

/** A conversation as one user sees it. */
interface Seen {
	client: ApiClient;
	conversationId: number;
}

/**
 * Reads the messages of each conversation every 250 ms until `enough` says so or `timeoutMs` has
 * passed; returns the last read and whether it was enough. A conversation that did not answer (the
 * server restarting) counts in `unread`.
 */
async function pollMessages(
	seen: Seen[],
	timeoutMs: number,
	enough: (messages: MessageDto[], unread: number) => boolean
): Promise<{ messages: MessageDto[]; met: boolean }> {
	const conversations = new Map(seen.map((c) => [`${c.client.cookie}:${c.conversationId}`, c]));
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const messages: MessageDto[] = [];
		let unread = 0;
		for (const { client, conversationId } of conversations.values()) {
			try {
				messages.push(...(await allMessages(client, conversationId)));
			} catch {
				unread += 1;
			}
		}
		const met = enough(messages, unread);
		if (met || Date.now() > deadline) return { messages, met };
		await new Promise((r) => setTimeout(r, 250));
	}
}

/** Waits (at most `timeoutMs`) until the given replies are all final; returns them by id. */
export async function settleAll(
	pending: Pending[],
	timeoutMs: number
): Promise<Map<number, MessageDto>> {
	const wanted = new Set(pending.map((p) => p.replyId));
	const found = (messages: MessageDto[]) =>
		new Map(messages.filter((m) => wanted.has(m.id)).map((m) => [m.id, m]));
	const { messages } = await pollMessages(pending, timeoutMs, (messages) => {
		const replies = found(messages);
		return (
			replies.size === wanted.size &&
			[...replies.values()].every((m) => TERMINAL.includes(m.status))
		);
	});
	return found(messages);
}

/** Waits until no reply of these conversations is queued or streaming; false at the deadline. */
export async function settle(seen: Seen[], timeoutMs: number): Promise<boolean> {
	const { met } = await pollMessages(
		seen,
		timeoutMs,
		(messages, unread) =>
			unread === 0 && !messages.some((m) => m.status === 'queued' || m.status === 'streaming')
	);
	return met;
}
