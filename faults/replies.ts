// Fault cases' view of replies: each reply's event stream read to its end (the text a user saw),
// and a bounded wait until every reply is final. Used by model-server and crash-loop cases.
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

/** Waits (polling, at most `timeoutMs`) until the given replies are all final; returns them by id. */
export async function settleAll(
	pending: Pending[],
	timeoutMs: number
): Promise<Map<number, MessageDto>> {
	const wanted = new Set(pending.map((p) => p.replyId));
	const conversations = new Map(pending.map((p) => [`${p.client.cookie}:${p.conversationId}`, p]));
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const found = new Map<number, MessageDto>();
		for (const { client, conversationId } of conversations.values())
			for (const m of await allMessages(client, conversationId).catch(() => []))
				if (wanted.has(m.id)) found.set(m.id, m);
		const settled = [...found.values()].every((m) => TERMINAL.includes(m.status));
		if ((found.size === wanted.size && settled) || Date.now() > deadline) return found;
		await new Promise((r) => setTimeout(r, 250));
	}
}
