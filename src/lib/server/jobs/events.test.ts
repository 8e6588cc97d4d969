import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import { parseSse } from '$lib/client/sse';
import { JobBus } from '$lib/server/jobs/bus';
import { jobEventResponse, jobEvents, type JobEventsOptions } from '$lib/server/jobs/events';
import { toSseResponse, type SseOptions } from '$lib/server/jobs/sse';
import type { PositionedJobEvent } from '$lib/shared/job-events';
import { sendMessage } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';

const LIMIT_BYTES = 32 * 1024;
/** Lets the stream take what the bus emitted (a turn of the event loop, not a timed wait). */
const turn = () => new Promise((r) => setImmediate(r));
const PIECE = 'x'.repeat(4 * 1024);

/** Everything the stream had for the reader, and whether it ended by being dropped. */
async function drainStream(stream: ReadableStream<Uint8Array>) {
	const reader = stream.getReader();
	const chunks: Uint8Array[] = [];
	let dropped = false;
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			chunks.push(value);
		}
	} catch {
		dropped = true;
	}
	const bytes = Buffer.concat(chunks);
	return { bytes: bytes.byteLength, text: bytes.toString('utf8'), dropped };
}

async function deltas(sse: string) {
	let text = '';
	let lastId: string | null = null;
	let end: string | null = null;
	for await (const event of parseSse(new Response(sse).body!)) {
		lastId = event.id ?? lastId;
		if (event.event === 'delta') text += (JSON.parse(event.data) as { text?: string }).text ?? '';
		else end = event.event;
	}
	return { text, lastId, end };
}

let t: TestDatabase;
let userId: number;
const bus = new JobBus();

const jobEventStream = (
	job: { id: number; user_id: number },
	lastEventId: string | null,
	options: SseOptions = {}
) => jobEventResponse({ db: t.db, bus }, job, lastEventId, options).body!;

beforeAll(async () => {
	t = await freshDatabase('sqlite');
	userId = (
		await t.db
			.insertInto('user')
			.values({ username: 'u', password_hash: 'x', role: 'user', created_at: 0, updated_at: 0 })
			.returning('id')
			.executeTakeFirstOrThrow()
	).id;
});
afterAll(() => t.close());

async function runningJob() {
	const conv = await createConversation(t.db, userId, {});
	const sent = await sendMessage(
		t.db,
		userId,
		conv.id,
		{ content: 'hi' },
		{
			defaultModel: async () => 'llama/m',
			enqueued: () => {}
		}
	);
	if (!sent.ok) throw new Error(sent.message);
	await t.db.updateTable('job').set({ state: 'running' }).where('id', '=', sent.job.id).execute();
	bus.begin(sent.job.id);
	return { job: { id: sent.job.id, user_id: userId }, replyId: sent.reply.id };
}

async function finishJob(jobId: number, replyId: number, content: string) {
	await t.db.updateTable('job').set({ state: 'done' }).where('id', '=', jobId).execute();
	await t.db
		.updateTable('message')
		.set({ status: 'done', content })
		.where('id', '=', replyId)
		.execute();
	bus.end(jobId);
}

describe('job event stream: slow clients and ending', () => {
	it('200 clients that stop reading are dropped once the buffer limit waits for each, and resume from their last id', async () => {
		const { job, replyId } = await runningJob();
		/** How much reply had been sent when each client was dropped. */
		const droppedAt: number[] = [];
		const streams = Array.from({ length: 200 }, () =>
			jobEventStream(job, null, {
				bufferLimitBytes: LIMIT_BYTES,
				onEnd: () => droppedAt.push(bus.snapshot(job.id)!.text.length)
			})
		);
		// One client reads the first delta, then stops like the other 199.
		const reader = streams[0]!.getReader();
		bus.append(job.id, 'text', 'The hearth ');
		const seen = [(await reader.read()).value!, (await reader.read()).value!];
		reader.releaseLock();

		// 256 KiB of reply while nobody reads: the old stream queued all of it, for every client.
		for (let i = 0; i < 64; i++) {
			bus.append(job.id, 'text', PIECE);
			await turn();
		}
		const full = 'The hearth ' + PIECE.repeat(64);
		expect(droppedAt).toHaveLength(200);
		for (const at of droppedAt) expect(at).toBeLessThanOrEqual(LIMIT_BYTES + 2 * PIECE.length);
		await finishJob(job.id, replyId, full);
		for (const stream of streams) expect((await drainStream(stream)).dropped).toBe(true);

		// The dropped client reconnects with the id of the last event it got: no gap, no duplicate.
		const got = await deltas(Buffer.concat(seen).toString('utf8'));
		expect(got).toMatchObject({ text: 'The hearth ', lastId: expect.any(String) });
		const after = await deltas((await drainStream(jobEventStream(job, got.lastId))).text);
		expect(after.end).toBe('done');
		expect(got.text + after.text).toBe(full);
	});

	it('a client that keeps reading gets every delta, however much is sent', async () => {
		const { job, replyId } = await runningJob();
		const stream = jobEventStream(job, null, { bufferLimitBytes: LIMIT_BYTES });
		const reader = stream.getReader();
		const chunks: Uint8Array[] = [];
		for (let i = 0; i < 64; i++) {
			bus.append(job.id, 'text', PIECE);
			chunks.push((await reader.read()).value!);
		}
		reader.releaseLock();
		const rest = drainStream(stream);
		await finishJob(job.id, replyId, PIECE.repeat(64));
		const { dropped, text } = await rest;
		expect(dropped).toBe(false);
		const got = await deltas(Buffer.concat(chunks).toString('utf8') + text);
		expect(got).toMatchObject({ text: PIECE.repeat(64), end: 'done' });
	});

	it('ends when its signal aborts (the session ended) and reports its end once', async () => {
		const { job } = await runningJob();
		const controller = new AbortController();
		let ends = 0;
		const stream = jobEventStream(job, null, {
			signal: controller.signal,
			onEnd: () => ends++
		});
		const reading = drainStream(stream);
		bus.append(job.id, 'text', 'Hello');
		await turn();
		controller.abort();
		const { dropped, text } = await reading;
		expect(dropped).toBe(false);
		expect((await deltas(text)).text).toBe('Hello');
		expect(bus.subscriberCount(job.id)).toBe(0);
		expect(ends).toBe(1);

		// A client that goes away: cancelled, reported once as well.
		let cancelledEnds = 0;
		const other = jobEventStream(job, null, { onEnd: () => cancelledEnds++ });
		await other.cancel();
		expect(bus.subscriberCount(job.id)).toBe(0);
		expect(cancelledEnds).toBe(1);
	});
});

/** Everything `jobEvents` yields until it ends (or `until` says stop). */
async function collect(
	job: { id: number; user_id: number },
	lastEventId: string | null,
	options: JobEventsOptions = {},
	act: (got: PositionedJobEvent[]) => void | Promise<void> = () => {}
) {
	const got: PositionedJobEvent[] = [];
	for await (const event of jobEvents({ db: t.db, bus }, job, lastEventId, options)) {
		got.push(event);
		await act(got);
	}
	return got;
}
const textOf = (events: PositionedJobEvent[]) =>
	events.map((e) => (e.event === 'delta' ? (e.data.text ?? '') : '')).join('');

describe('jobEvents: the reply as typed events', () => {
	it('resumes after any Last-Event-ID with exactly the missing text, then the live tail and done', async () => {
		const { job, replyId } = await runningJob();
		bus.append(job.id, 'reasoning', 'Thinking.');
		bus.append(job.id, 'text', 'Once upon');
		const first = await collect(job, null, {}, async (got) => {
			if (got.length === 2) {
				bus.append(job.id, 'text', ' a time');
				await finishJob(job.id, replyId, 'Once upon a time');
			}
		});
		expect(first.map((e) => e.event)).toEqual(['delta', 'delta', 'delta', 'done']);
		expect(textOf(first)).toBe('Once upon a time');
		// Each id is the position after that event: resuming from any of them loses and repeats nothing.
		for (const [i, event] of first.entries()) {
			const rest = await collect(job, String(event.id));
			expect(textOf(first.slice(0, i + 1)) + textOf(rest)).toBe('Once upon a time');
			expect(rest.at(-1)!.event).toBe('done');
		}
	});

	it('fills a gap from the checkpoint when live deltas start beyond what it has (a job on another instance)', async () => {
		const { job, replyId } = await runningJob();
		bus.end(job.id); // not running here: its events come from elsewhere, like the relay's
		await finishJobPartial(job.id, 'Hello, ');
		const got = await collect(job, null, {}, async (events) => {
			if (events.length === 1) {
				bus.deliver(job.id, { type: 'delta', channel: 'text', offset: 12, text: 'world' });
				await finishJob(job.id, replyId, 'Hello, dear world');
				bus.deliver(job.id, { type: 'end' });
			}
		});
		expect(textOf(got)).toBe('Hello, dear world');
		expect(got.at(-1)!.event).toBe('done');
	});

	it('notices a job that ended elsewhere when its end notification was lost', async () => {
		const { job, replyId } = await runningJob();
		bus.end(job.id); // running on another instance, as far as this process knows
		const events = collect(job, null, { recheckMs: 5 });
		await vi.waitFor(() => expect(bus.subscriberCount(job.id)).toBe(1));
		// Finished there, and the notification never arrives here.
		await t.db.updateTable('job').set({ state: 'done' }).where('id', '=', job.id).execute();
		await t.db
			.updateTable('message')
			.set({ status: 'done', content: 'Done elsewhere' })
			.where('id', '=', replyId)
			.execute();
		const got = await events;
		expect(textOf(got)).toBe('Done elsewhere');
		expect(got.at(-1)!.event).toBe('done');
	});

	it('sends the prelude first and stops waiting when its signal aborts', async () => {
		const { job } = await runningJob();
		const controller = new AbortController();
		const prelude = { event: 'usage', data: { promptTokens: 1, completionTokens: 2 } } as const;
		const got = await collect(job, null, { prelude, signal: controller.signal }, (events) => {
			if (events.length === 1) bus.append(job.id, 'text', 'Hi');
			else controller.abort();
		});
		expect(got.map((e) => e.event)).toEqual(['usage', 'delta']);
		expect(bus.subscriberCount(job.id)).toBe(0);
	});
});

async function finishJobPartial(jobId: number, partial: string) {
	await t.db.updateTable('job').set({ partial_text: partial }).where('id', '=', jobId).execute();
}

describe('toSseResponse', () => {
	it('writes each event with its id, ends when the source ends, and reports its end once', async () => {
		let ends = 0;
		const res = toSseResponse(
			async function* () {
				yield { id: 5, event: 'delta', data: { text: 'a' } };
				yield { event: 'done', data: {} };
			},
			{ status: 202, onEnd: () => ends++ }
		);
		expect(res.status).toBe(202);
		expect(res.headers.get('content-type')).toContain('text/event-stream');
		const events = [];
		for await (const e of parseSse(res.body!)) events.push(e);
		expect(events).toEqual([
			{ id: '5', event: 'delta', data: '{"text":"a"}' },
			{ id: '5', event: 'done', data: '{}' }
		]);
		expect(ends).toBe(1);
	});

	it('writes a fast run of deltas together, each its own event, the first at once', async () => {
		let release: () => void = () => {};
		const released = new Promise<void>((r) => (release = r));
		const res = toSseResponse(
			async function* () {
				yield { id: 1, event: 'delta', data: { text: 'a' } };
				await released;
				yield { id: 2, event: 'delta', data: { text: 'b' } };
				yield { id: 3, event: 'delta', data: { text: 'c' } };
				yield { id: 3, event: 'done', data: {} };
			},
			{ batch: { event: 'delta', ms: 60_000 } }
		);
		const reader = res.body!.getReader();
		const decoder = new TextDecoder();
		const writes: string[] = [];
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			writes.push(decoder.decode(value));
			// The first delta is on its way before the source goes on.
			if (writes.join('').includes('"a"')) release();
		}
		expect(writes.filter((w) => w.includes('event: delta'))).toEqual([
			'id: 1\nevent: delta\ndata: {"text":"a"}\n\n',
			'id: 2\nevent: delta\ndata: {"text":"b"}\n\nid: 3\nevent: delta\ndata: {"text":"c"}\n\n'
		]);
		expect(writes.at(-1)).toBe('id: 3\nevent: done\ndata: {}\n\n');
		const events = [];
		for await (const e of parseSse(new Response(writes.join('')).body!)) events.push(e.id);
		expect(events).toEqual(['1', '2', '3', '3']);
	});

	it('sends keepalive comments while the source waits, and stops the source when the client leaves', async () => {
		let stopped = false;
		const res = toSseResponse(
			async function* (signal) {
				await new Promise((r) => signal.addEventListener('abort', r));
				stopped = true;
				yield { event: 'never', data: null };
			},
			{ keepaliveMs: 5 }
		);
		const reader = res.body!.getReader();
		let text = '';
		while (!text.includes(': keepalive'))
			text += new TextDecoder().decode((await reader.read()).value);
		await reader.cancel();
		await vi.waitFor(() => expect(stopped).toBe(true));
	});
});
