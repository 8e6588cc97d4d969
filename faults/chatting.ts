// People chatting, for the load and soak cases: each user sends messages of random size, thinks,
// edits, regenerates, searches, lists and reads, and follows every reply on its event stream. A
// "dropper" breaks the stream after a few deltas and resumes with Last-Event-ID, as a phone that
// loses its connection does; the text assembled from the stream is kept to compare with the
// stored reply. Everything is bounded by a deadline and a per-reply timeout; randomness is seeded.
import type { Accepted } from './audit';
import { allMessages } from './audit';
import { timed, type Traffic } from './users';
import type { ApiClient } from '../tests/support/hearth-server';
import { parseSse, type SseEvent } from '$lib/client/sse';
import type { MessageDto, SendResultDto } from '$lib/shared/dto';

export interface ChatOptions {
	/** Wall-clock time (ms) after which no new action starts. */
	until: number;
	thinkMs: [number, number];
	messageChars: [number, number];
	maxTokens: [number, number];
	/** Wall-clock time (ms) by which every reply must have ended on its stream. */
	settleBy: number;
	/** 0–1: chance that an action starts a new conversation rather than continuing this one. */
	newConversation: number;
}

/** What the chatting did, for the audit and the row. */
export interface ChatTally {
	accepted: Accepted[];
	/** Reply text as assembled from its event stream(s), by reply id, with who can read it. */
	streamed: Map<number, { client: ApiClient; conversationId: number; text: string }>;
	replies: number;
	/** Streams broken on purpose mid-reply and resumed with Last-Event-ID. */
	drops: number;
	/** Of those, resumes where the text was split: some before the break and some after it. */
	splitResumes: number;
	/** Replies that did not end on their stream by `settleBy`. */
	unsettled: number;
	/** Sends and regenerates refused (4xx), e.g. too many jobs; not accepted, so not audited. */
	refused: number;
	edits: number;
	regenerates: number;
	/** Sends that streamed their reply in the same request (Accept: text/event-stream). */
	oneRequest: number;
	/** Actions that failed outright (a stream refused, an answer not parsed): a user saw an error. */
	broken: number;
	samples: string[];
}

export function newTally(): ChatTally {
	return {
		accepted: [],
		streamed: new Map(),
		replies: 0,
		drops: 0,
		splitResumes: 0,
		unsettled: 0,
		refused: 0,
		edits: 0,
		regenerates: 0,
		oneRequest: 0,
		broken: 0,
		samples: []
	};
}

/** mulberry32: a small seeded generator, so a run can be repeated. */
export function seeded(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const WORDS = [
	'hearth',
	'kettle',
	'ember',
	'lantern',
	'window',
	'garden',
	'river',
	'winter',
	'bread',
	'candle',
	'pillow',
	'orchard'
];

interface Sent {
	accepted: Accepted;
	messageId: number;
	parentId: number | null;
}

/** One user's chatting until the deadline. `drops`: this user breaks every reply's stream once. */
export async function chat(
	client: ApiClient,
	name: string,
	drops: boolean,
	options: ChatOptions,
	tally: ChatTally,
	traffic: Traffic,
	random: () => number
): Promise<void> {
	const between = ([lo, hi]: [number, number]) => Math.floor(lo + random() * (hi - lo + 1));
	const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
	let serial = 0;
	const unique = () => {
		serial += 1;
		const size = between(options.messageChars);
		let text = `${name} message ${serial}:`;
		while (text.length < size) text += ` ${pick(WORDS)}`;
		return text.slice(0, Math.max(size, `${name} message ${serial}:`.length));
	};
	let conversationId = 0;
	let sent: Sent[] = [];
	const open = async () => {
		const res = await timed(traffic, 'create', () =>
			client.json<{ id: number }>('POST', '/api/conversations', {})
		);
		if (res.status !== 201) throw new Error(`create conversation: ${res.status}`);
		conversationId = res.body.id;
		sent = [];
	};
	await open();

	/**
	 * Follows one reply to its end: `first` opens its first stream (GET …/events, or the send
	 * itself in the one-request mode, whose `job` event names the reply); a dropper breaks it and
	 * resumes on GET /api/jobs/:id/events with Last-Event-ID.
	 */
	const follow = async (first: Opener, known?: { jobId: number; replyId: number }) => {
		tally.replies += 1;
		const signal = AbortSignal.timeout(Math.max(0, options.settleBy - Date.now()));
		const read = await readReply(first, signal, drops ? between([1, 4]) : null);
		const ids = known ?? (read.job && { jobId: read.job.job.id, replyId: read.job.reply.id });
		let text = read.text;
		let end = read.end;
		if (ids && !end && read.lastId !== null && !signal.aborted) {
			tally.drops += 1;
			const lastId = read.lastId;
			const rest = await readReply((s) => client.events(ids.jobId, lastId, s), signal, null);
			if (read.text && rest.text) tally.splitResumes += 1;
			text += rest.text;
			end = rest.end;
		}
		if (!ids || !end) tally.unsettled += 1;
		else tally.streamed.set(ids.replyId, { client, conversationId, text });
		return read.job;
	};

	const send = async (parentId?: number | null) => {
		const content = unique();
		const body = {
			content,
			maxTokens: between(options.maxTokens),
			clientId: `${name}-${serial}-${Math.floor(random() * 1e9)}`,
			...(parentId === undefined ? {} : { parentId })
		};
		const url = `/api/conversations/${conversationId}/messages`;
		const accepted: Accepted = { client, conversationId, content };
		const keep = (result: SendResultDto | null) => {
			tally.accepted.push(accepted);
			if (result)
				sent.push({ accepted, messageId: result.message.id, parentId: result.message.parentId });
		};
		if (random() < 0.5) {
			// What the chat screen does: send and stream in one request (Accept: text/event-stream).
			tally.oneRequest += 1;
			let status = 0;
			const result = await follow(async (signal) => {
				const res = await client.call('POST', url, body, {
					headers: { accept: 'text/event-stream' },
					signal
				});
				status = res.status;
				if (status !== 202 && status !== 200) throw new Refused(await res.text());
				return parseSse(res.body!);
			}).catch((error: unknown) => {
				if (error instanceof Refused) return undefined;
				// Accepted even so (the answer said 202): the audit must look for it.
				if (status === 202 || status === 200) keep(null);
				throw error;
			});
			if (status === 202 || status === 200) keep(result ?? null);
			else tally.refused += 1;
			return;
		}
		const res = await client.json<SendResultDto>('POST', url, body);
		if (res.status !== 202 && res.status !== 200) {
			tally.refused += 1;
			return;
		}
		keep(res.body);
		const { job, reply } = res.body;
		await follow((signal) => client.events(job.id, undefined, signal), {
			jobId: job.id,
			replyId: reply.id
		});
	};

	while (Date.now() < options.until) {
		const roll = random();
		try {
			if (roll < options.newConversation) await open();
			else if (roll < 0.55 || sent.length === 0) await send();
			else if (roll < 0.63) {
				// An edit: a sibling of an earlier message, answered afresh.
				tally.edits += 1;
				await send(pick(sent).parentId);
			} else if (roll < 0.71) {
				const target = pick(sent);
				const res = await client.json<{ reply: MessageDto; job: { id: number } }>(
					'POST',
					`/api/conversations/${conversationId}/regenerate`,
					{ messageId: target.messageId, maxTokens: between(options.maxTokens) }
				);
				if (res.status === 202) {
					tally.regenerates += 1;
					target.accepted.regenerates = (target.accepted.regenerates ?? 0) + 1;
					const { job, reply } = res.body;
					await follow((signal) => client.events(job.id, undefined, signal), {
						jobId: job.id,
						replyId: reply.id
					});
				} else tally.refused += 1;
			} else if (roll < 0.82) {
				const q = pick(WORDS);
				await timed(traffic, 'search', () =>
					client.call('GET', `/api/search?q=${q}`).then((r) => r.arrayBuffer())
				);
			} else if (roll < 0.91) {
				await timed(traffic, 'list', () =>
					client.call('GET', '/api/conversations').then((r) => r.arrayBuffer())
				);
			} else {
				await timed(traffic, 'read', () =>
					client.call('GET', `/api/conversations/${conversationId}`).then((r) => r.arrayBuffer())
				);
			}
		} catch (error) {
			tally.broken += 1;
			if (tally.samples.length < 10) tally.samples.push(`${name}: ${String(error)}`);
		}
		await new Promise((r) => setTimeout(r, between(options.thinkMs)));
	}
}

type Opener = (signal: AbortSignal) => Promise<AsyncGenerator<SseEvent>>;

/** A send refused before its stream began (4xx): nothing was accepted. */
class Refused extends Error {}

/**
 * Reads one event stream of a reply: its text, the last id, the `job` event of the one-request
 * mode, and the end (`done`/`error`) — or no end when `dropAfter` deltas came first (the
 * connection is then broken) or the signal fired.
 */
async function readReply(open: Opener, timeout: AbortSignal, dropAfter: number | null) {
	const controller = new AbortController();
	const signal = AbortSignal.any([timeout, controller.signal]);
	let text = '';
	let deltas = 0;
	let lastId: string | null = null;
	let job: SendResultDto | null = null;
	let end: 'done' | 'error' | null = null;
	try {
		for await (const event of await open(signal)) {
			lastId = event.id ?? lastId;
			if (event.event === 'job') job = JSON.parse(event.data) as SendResultDto;
			else if (event.event === 'delta') {
				text += (JSON.parse(event.data) as { text?: string }).text ?? '';
				deltas += 1;
				if (dropAfter !== null && deltas >= dropAfter) {
					controller.abort();
					break;
				}
			} else if (event.event === 'done' || event.event === 'error') {
				end = event.event;
				break;
			}
		}
	} catch (error) {
		if (!signal.aborted || error instanceof Refused) throw error;
	}
	return { text, lastId, job, end };
}

/**
 * Replies whose streamed text differs from the stored reply (a gap or a repeat in a resume), read
 * back once everything has settled.
 */
export async function compareStreamed(tally: ChatTally): Promise<number> {
	const stored = new Map<number, string>();
	const read = new Set<string>();
	let mismatches = 0;
	for (const [replyId, { client, conversationId, text }] of tally.streamed) {
		const key = `${client.cookie}:${conversationId}`;
		if (!read.has(key)) {
			read.add(key);
			for (const m of await allMessages(client, conversationId)) stored.set(m.id, m.content);
		}
		if (stored.get(replyId) !== text) {
			mismatches += 1;
			if (tally.samples.length < 10)
				tally.samples.push(
					`reply ${replyId}: streamed ${text.length} chars, stored ${stored.get(replyId)?.length}`
				);
		}
	}
	return mismatches;
}
