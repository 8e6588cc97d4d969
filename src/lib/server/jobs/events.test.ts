import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import { parseSse } from '$lib/client/sse';
import { JobBus } from '$lib/server/jobs/bus';
import { jobEventStream } from '$lib/server/jobs/events';
import { sendMessage } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';

const LIMIT_BYTES = 32 * 1024;
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

describe('job event stream: slow clients and ending', () => {
	let t: TestDatabase;
	let userId: number;
	const bus = new JobBus();

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
			{ defaultModel: async () => 'llama/m', enqueued: () => {} }
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

	it('200 clients that stop reading are dropped once the buffer limit waits for each, and resume from their last id', async () => {
		const { job, replyId } = await runningJob();
		/** How much reply had been sent when each client was dropped. */
		const droppedAt: number[] = [];
		const streams = Array.from({ length: 200 }, () =>
			jobEventStream({ db: t.db, bus }, job, null, {
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
		for (let i = 0; i < 64; i++) bus.append(job.id, 'text', PIECE);
		const full = 'The hearth ' + PIECE.repeat(64);
		expect(droppedAt).toHaveLength(200);
		for (const at of droppedAt) expect(at).toBeLessThanOrEqual(LIMIT_BYTES + 2 * PIECE.length);
		await finishJob(job.id, replyId, full);
		for (const stream of streams) expect((await drainStream(stream)).dropped).toBe(true);

		// The dropped client reconnects with the id of the last event it got: no gap, no duplicate.
		const got = await deltas(Buffer.concat(seen).toString('utf8'));
		expect(got).toMatchObject({ text: 'The hearth ', lastId: expect.any(String) });
		const after = await deltas(
			(await drainStream(jobEventStream({ db: t.db, bus }, job, got.lastId))).text
		);
		expect(after.end).toBe('done');
		expect(got.text + after.text).toBe(full);
	});

	it('a client that keeps reading gets every delta, however much is sent', async () => {
		const { job, replyId } = await runningJob();
		const stream = jobEventStream({ db: t.db, bus }, job, null, { bufferLimitBytes: LIMIT_BYTES });
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
		const stream = jobEventStream({ db: t.db, bus }, job, null, {
			signal: controller.signal,
			onEnd: () => ends++
		});
		const reading = drainStream(stream);
		bus.append(job.id, 'text', 'Hello');
		controller.abort();
		const { dropped, text } = await reading;
		expect(dropped).toBe(false);
		expect((await deltas(text)).text).toBe('Hello');
		expect(bus.subscriberCount(job.id)).toBe(0);
		expect(ends).toBe(1);

		// A client that goes away: cancelled, reported once as well.
		let cancelledEnds = 0;
		const other = jobEventStream({ db: t.db, bus }, job, null, { onEnd: () => cancelledEnds++ });
		await other.cancel();
		expect(bus.subscriberCount(job.id)).toBe(0);
		expect(cancelledEnds).toBe(1);
	});
});
