// Issue 20, case 6: Hearth SIGKILLed at random moments while a few users chat without pause, and
// started again each time. Every message the server acknowledged must be there once, with one
// reply that is done, interrupted with its text, or re-run — never lost, never twice. A POST that
// got no answer may or may not have been stored: it must be absent or there exactly once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../tests/support/hearth-server';
import { startSlowLlamaServer, type LlamaServer } from '../tests/support/llama-server';
import { allMessages, audit, type Accepted } from './audit';
import { settleAll, type Pending } from './replies';
import { size } from './profile';
import { record, rssMb } from './table';
import type { MessageDto, SendResultDto } from '$lib/shared/dto';
import { NEVER_STARTED_MESSAGE } from '$lib/server/jobs/finish';

const KILLS = size(5, 20);
const USERS = size(3, 5);
/** A kill lands this long after the server answered again: from at once to mid-reply. */
const KILL_AFTER_MS = { min: 200, max: 3_000 };
const REPLY_TOKENS = { min: 20, max: 200 };
/** Messages per conversation: prompts stay short for a model server on one thread. */
const MESSAGES_PER_CONVERSATION = 3;
const THINK_MS = { min: 100, max: 1_000 };
/** A client that retries an unanswered POST (same clientId) gives up after this long. */
const RETRY_FOR_MS = 20_000;
const RETRY_PAUSE_MS = 250;
const SETTLE_TIMEOUT_MS = size(120_000, 240_000);
/** Text streamed to the user before a crash is kept (interrupted) or the reply runs again. */
const ENDINGS = ['done', 'interrupted'];

/**
 * A reply the server died under before its first token, on every attempt, is not run again (it
 * might be what kills the server): interrupted with no text, saying so. Anything else must be
 * done, or interrupted with text.
 */
const neverStarted = (m: MessageDto) =>
	m.status === 'interrupted' && !m.content && m.error === NEVER_STARTED_MESSAGE;

let llama: LlamaServer;
let hearth: HearthServer;

beforeAll(async () => {
	llama = await startSlowLlamaServer({ parallel: 2 });
	// Many polls from one address: the per-IP bucket refills fast enough for the test's users.
	hearth = await startHearth({ LLAMA_URL: llama.url, HEARTH_TEST_TIMINGS: 'requestRefillMs=10' });
}, 120_000);

afterAll(async () => {
	await hearth?.stop();
	await llama?.stop();
});

const between = (r: { min: number; max: number }) => r.min + Math.random() * (r.max - r.min);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Tally {
	accepted: (Accepted & { pending: Pending })[];
	/** POSTs never answered: the client does not know whether they were stored. */
	unknown: Accepted[];
	/** POSTs that got no answer at least once (then retried or given up). */
	unanswered: number;
	serverErrors: number;
	/** Answers to message POSTs by status. */
	statuses: Record<number, number>;
}

/**
 * One user chatting until `running()` says stop: a message, a pause, the next — without waiting
 * for replies, so POSTs are in flight when the kill lands (a 429 for too many replies in progress
 * is waited out). Even users retry an unanswered POST with the same clientId (as the app's outbox
 * does); odd ones give up on it and write the next message.
 */
async function chat(client: ApiClient, index: number, running: () => boolean, tally: Tally) {
	let conversationId: number | null = null;
	let n = 0;
	while (running()) {
		if (conversationId === null || n % MESSAGES_PER_CONVERSATION === 0) {
			const res = await client
				.json<{ id: number }>('POST', '/api/conversations', {})
				.catch(() => null);
			if (res && res.status >= 500) tally.serverErrors++;
			if (res?.status !== 201) {
				await pause(RETRY_PAUSE_MS);
				continue;
			}
			conversationId = res.body.id;
		}
		const content = `crash-loop user ${index} message ${++n} ${randomUUID()}`;
		const body = { content, clientId: randomUUID(), maxTokens: Math.round(between(REPLY_TOKENS)) };
		const retries = index % 2 === 0;
		const giveUpAt = Date.now() + RETRY_FOR_MS;
		let sent: SendResultDto | null = null;
		let answered = true;
		while (running() || !answered) {
			const res = await client
				.json<SendResultDto>('POST', `/api/conversations/${conversationId}/messages`, body)
				.catch(() => null);
			if (res) tally.statuses[res.status] = (tally.statuses[res.status] ?? 0) + 1;
			if (res && res.status >= 500) tally.serverErrors++;
			if (res?.status === 200 || res?.status === 202) {
				sent = res.body;
				break;
			}
			if (!res) {
				if (answered) tally.unanswered++;
				answered = false;
				if (!retries) break;
			} else if (res.status !== 429) break;
			if (Date.now() > giveUpAt) break;
			await pause(RETRY_PAUSE_MS);
		}
		const accepted: Accepted = { client, conversationId, content };
		if (sent)
			tally.accepted.push({
				...accepted,
				pending: { client, conversationId, replyId: sent.reply.id }
			});
		else if (!answered) tally.unknown.push(accepted);
		await pause(between(THINK_MS));
	}
}

/** How often each unanswered message is stored: 0 or 1 is right. */
async function storedTwice(unknown: Accepted[]): Promise<number> {
	let twice = 0;
	for (const u of unknown) {
		const messages = await allMessages(u.client, u.conversationId);
		const copies = messages.filter((m) => m.role === 'user' && m.content === u.content);
		const replies = messages.filter(
			(m) => m.role === 'assistant' && copies.some((c) => c.id === m.parentId)
		);
		twice += Math.max(0, copies.length - 1) + Math.max(0, replies.length - 1);
	}
	return twice;
}

test(`Hearth SIGKILLed ${KILLS} times during chat, restarted each time`, async () => {
	const clients: ApiClient[] = [];
	for (let i = 0; i < USERS; i++) {
		addUser(hearth, `crash${i}`, `crash-password-${i}`);
		clients.push(await signIn(hearth, `crash${i}`, `crash-password-${i}`));
	}
	const rssBefore = rssMb(hearth.process.pid!);
	const tally: Tally = {
		accepted: [],
		unknown: [],
		unanswered: 0,
		serverErrors: 0,
		statuses: {}
	};
	let killing = true;
	const users = clients.map((c, i) => chat(c, i, () => killing, tally));
	const downMs: number[] = [];
	try {
		for (let k = 0; k < KILLS; k++) {
			await pause(between(KILL_AFTER_MS)); // the fault: a kill at a random moment
			await hearth.kill('SIGKILL');
			const down = Date.now();
			await hearth.restart();
			downMs.push(Date.now() - down);
		}
		// Some chatting after the last restart, so replies queued before it are seen through.
		await pause(KILL_AFTER_MS.max);
	} finally {
		killing = false;
		await Promise.all(users);
	}
	const replies: Map<number, MessageDto> = await settleAll(
		tally.accepted.map((a) => a.pending),
		SETTLE_TIMEOUT_MS
	);
	const result = await audit(tally.accepted);
	// Replies still running at the deadline: is the model server busy with them (slow) or idle?
	const busySlots = result.unfinished
		? await fetch(`${llama.url}/slots`)
				.then((r) => r.json() as Promise<{ is_processing: boolean }[]>)
				.then((slots) => `${slots.filter((x) => x.is_processing).length}/${slots.length}`)
				.catch(() => '?')
		: null;
	const twice = await storedTwice(tally.unknown);
	const unknownStored = (
		await Promise.all(
			tally.unknown.map(async (u) =>
				(await allMessages(u.client, u.conversationId)).some((m) => m.content === u.content)
			)
		)
	).filter(Boolean).length;
	const ended = [...replies.values()];
	const gaveUp = ended.filter(neverStarted).length;
	const badEnd = ended.filter(
		(m) =>
			!neverStarted(m) &&
			(!ENDINGS.includes(m.status) || (m.status === 'interrupted' && !m.content))
	);
	const interrupted = ended.filter((m) => m.status === 'interrupted').length - gaveUp;
	const row = record({
		fault: `Hearth SIGKILL at random moments, ${KILLS}× during chat by ${USERS} users, restarted each time`,
		usersSaw: `${tally.accepted.length} messages acknowledged, ${result.states.done ?? 0} replies done, ${interrupted} interrupted with their text, ${gaveUp} not re-run after the server died before their first token on every attempt; ${tally.unanswered} POSTs unanswered (${tally.unknown.length} never answered, ${unknownStored} of those stored)`,
		lost: result.lost,
		duplicated: result.duplicated + twice,
		errors: tally.serverErrors + badEnd.length + result.unfinished,
		rssBeforeMb: rssBefore,
		rssAfterMb: rssMb(hearth.process.pid!),
		notes:
			`states ${JSON.stringify(result.states)}; POST answers ${JSON.stringify(tally.statuses)}; down ${Math.min(...downMs)}–${Math.max(...downMs)} ms per restart` +
			(busySlots ? `; llama-server slots busy at the deadline: ${busySlots}` : '') +
			(badEnd.length
				? `; bad endings: ${badEnd.map((m) => `${m.status} "${m.error ?? ''}"`).join(', ')}`
				: '')
	});
	expect(tally.accepted.length).toBeGreaterThan(KILLS);
	expect(row.lost).toBe(0);
	expect(row.duplicated).toBe(0);
	expect(result.unfinished).toBe(0);
	expect(tally.serverErrors).toBe(0);
	expect(badEnd).toEqual([]);
});
