// What a fault did to people's conversations, read back through the API afterwards: every user
// message that was accepted (2xx) is there exactly once, with one reply per send (regenerates
// add siblings on purpose), and no reply is left running once the suite has waited for it.
import type { ApiClient } from '../tests/support/hearth-server';
import type { ConversationDto, MessageDto } from '$lib/shared/dto';

/** A user message the server accepted. Give each a unique content so it can be found again. */
export interface Accepted {
	client: ApiClient;
	conversationId: number;
	content: string;
	/** Regenerates asked for this message's reply (each adds one sibling reply). */
	regenerates?: number;
}

export interface Audit {
	/** Accepted user messages missing from their conversation. */
	lost: number;
	/** User messages stored twice, plus replies beyond one per send/regenerate. */
	duplicated: number;
	/** Replies still queued or streaming. */
	unfinished: number;
	/** Replies by final state, e.g. { done: 40, interrupted: 2 }. */
	states: Record<string, number>;
}

const RUNNING = new Set(['queued', 'streaming']);

/** How many times a read that is rate-limited (429) waits its Retry-After and asks again. */
const RATE_LIMITED_RETRIES = 30;

/** Every message of a conversation, following `earlierBefore` through its pages. */
export async function allMessages(
	client: ApiClient,
	conversationId: number
): Promise<MessageDto[]> {
	const messages: MessageDto[] = [];
	let before: number | null = null;
	for (let limited = 0; ;) {
		const query: string = before === null ? '' : `?before=${before}`;
		const res = await client.call('GET', `/api/conversations/${conversationId}${query}`);
		if (res.status === 429 && limited++ < RATE_LIMITED_RETRIES) {
			// A reader polling for settled replies shares the user's rate limit: wait as told.
			const seconds = Number(res.headers.get('retry-after')) || 1;
			await res.body?.cancel();
			await new Promise((r) => setTimeout(r, seconds * 1000));
			continue;
		}
		if (res.status !== 200) throw new Error(`conversation ${conversationId}: ${res.status}`);
		const body = (await res.json()) as ConversationDto;
		messages.unshift(...body.messages);
		before = body.earlierBefore ?? null;
		if (before === null) return messages;
	}
}

export async function audit(accepted: Accepted[]): Promise<Audit> {
	const result: Audit = { lost: 0, duplicated: 0, unfinished: 0, states: {} };
	const byConversation = new Map<string, { client: ApiClient; id: number; sent: Accepted[] }>();
	for (const a of accepted) {
		const key = `${a.client.cookie}:${a.conversationId}`;
		const entry = byConversation.get(key) ?? { client: a.client, id: a.conversationId, sent: [] };
		entry.sent.push(a);
		byConversation.set(key, entry);
	}
	for (const { client, id, sent } of byConversation.values()) {
		const messages = await allMessages(client, id);
		for (const a of sent) {
			const users = messages.filter((m) => m.role === 'user' && m.content === a.content);
			if (users.length === 0) result.lost += 1;
			result.duplicated += Math.max(0, users.length - 1);
			const replies = messages.filter(
				(m) => m.role === 'assistant' && users.some((u) => u.id === m.parentId)
			);
			result.duplicated += Math.max(0, replies.length - 1 - (a.regenerates ?? 0));
			for (const reply of replies) {
				if (RUNNING.has(reply.status)) result.unfinished += 1;
				result.states[reply.status] = (result.states[reply.status] ?? 0) + 1;
			}
		}
	}
	return result;
}
