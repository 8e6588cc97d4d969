// Past one machine: two Hearth servers on one real PostgreSQL database and one llama-server.
// Jobs are claimed exactly once, and a reply running on one instance streams to subscribers on
// the other (LISTEN/NOTIFY), with no gap and no duplicate even for a subscriber joining late.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startSlowLlamaServer, type LlamaServer } from '../support/llama-server';
import { freshDatabase, type TestDatabase } from '../support/db';
import { signIn, startHearth, type ApiClient, type HearthServer } from '../support/hearth-server';
import { newConversation, send, settledReply } from '../support/chat';
import { addUser } from '$lib/server/services/accounts';
import { createConversation } from '$lib/server/services/conversations';
import { sendMessage } from '$lib/server/services/chat';
import type { SseEvent } from '$lib/client/sse';
import type { JobDto } from '$lib/shared/dto';

const MODEL = 'llama/hearth-test';

async function instanceId(server: HearthServer): Promise<string> {
	return ((await (await fetch(`${server.url}/readyz`)).json()) as { instance: string }).instance;
}

/** The whole text a stream delivers, its delta count, and how it ended. */
async function drain(stream: AsyncGenerator<SseEvent>) {
	let text = '';
	let deltas = 0;
	const ids = new Set<string>();
	for await (const event of stream) {
		if (event.event === 'delta') {
			text += (JSON.parse(event.data) as { text?: string }).text ?? '';
			deltas++;
			if (event.id) ids.add(event.id);
		} else if (event.event === 'done' || event.event === 'error') {
			return { text, deltas, ids, end: event.event };
		}
	}
	return { text, deltas, ids, end: 'eof' };
}

describe('two instances on one PostgreSQL', () => {
	let database: TestDatabase;
	let llama: LlamaServer;
	let a: HearthServer;
	let b: HearthServer;
	let onA: ApiClient;
	let onB: ApiClient;

	beforeAll(async () => {
		database = await freshDatabase('postgres');
		llama = await startSlowLlamaServer({ parallel: 4 });
		const env = { DATABASE_URL: database.url!, LLAMA_URL: llama.url };
		[a, b] = await Promise.all([startHearth(env), startHearth(env)]);
		const added = await addUser(database.db, {
			username: 'alice',
			password: 'alice-password',
			role: 'user'
		});
		expect(added.ok).toBe(true);
		onA = await signIn(a, 'alice', 'alice-password');
		onB = await signIn(b, 'alice', 'alice-password');
	}, 120_000);
	afterAll(async () => {
		await Promise.all([a?.stop(), b?.stop()]);
		await llama?.stop();
		await database?.close();
	});

	const job = (id: number) =>
		database.db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
	/** Waits until the job's first checkpoint: it is running and has written something. */
	const streaming = (id: number) =>
		expect
			.poll(async () => (await job(id)).partial_text.length, { timeout: 20_000, interval: 50 })
			.toBeGreaterThan(0);

	it('200 queued jobs are each run exactly once, by both instances between them', async () => {
		const db = database.db;
		const sent: number[] = [];
		for (let u = 0; u < 50; u++) {
			const user = await db
				.insertInto('user')
				.values({
					username: `bulk${u}`,
					password_hash: 'x',
					role: 'user',
					created_at: Date.now(),
					updated_at: Date.now()
				})
				.returning('id')
				.executeTakeFirstOrThrow();
			const conv = await createConversation(db, user.id, {});
			for (let i = 0; i < 4; i++) {
				const result = await sendMessage(
					db,
					user.id,
					conv.id,
					{ content: `bulk message ${u}-${i}`, maxTokens: 4, parentId: null, model: MODEL },
					{ defaultModel: async () => MODEL, enqueued: () => {} }
				);
				if (!result.ok) throw new Error(result.message);
				sent.push(result.job.id);
			}
		}
		expect(sent).toHaveLength(200);
		await expect
			.poll(
				async () =>
					Number(
						(
							await db
								.selectFrom('job')
								.select((eb) => eb.fn.countAll<number>().as('n'))
								.where('id', 'in', sent)
								.where('state', 'in', ['queued', 'running'])
								.executeTakeFirstOrThrow()
						).n
					),
				{ timeout: 120_000, interval: 250 }
			)
			.toBe(0);
		const rows = await db
			.selectFrom('job')
			.select(['id', 'state', 'attempts', 'claimed_by'])
			.where('id', 'in', sent)
			.execute();
		expect(rows.filter((r) => r.state !== 'done')).toEqual([]);
		// A claim counts an attempt: 1 everywhere means no job was claimed twice.
		expect(rows.filter((r) => r.attempts !== 1)).toEqual([]);
		// One usage record per run: no job's reply was produced twice.
		const usage = await sql<{ n: number }>`
			select count(*)::int as n from usage_event u
			join job j on j.assistant_message_id = u.message_id
			where j.id in (${sql.join(sent)})`.execute(db);
		expect(usage.rows[0]!.n).toBe(200);
		const claimers = new Set(rows.map((r) => r.claimed_by));
		expect([...claimers].sort()).toEqual([await instanceId(a), await instanceId(b)].sort());
	}, 180_000);

	it('a reply streams to subscribers on both instances, early and late, with no gap and no duplicate', async () => {
		const id = await newConversation(onB);
		const result = await send(onB, id, 500);
		const jobId = result.job.id;
		const early = [onA, onB].map(async (client) => drain(await client.events(jobId)));
		await streaming(jobId);
		// Joining mid-reply: the instance that does not run it starts from the checkpoint.
		const late = [onA, onB].map(async (client) => drain(await client.events(jobId)));
		const streams = await Promise.all([...early, ...late]);
		const reply = await settledReply(onB, id, result.reply.id);
		expect(reply.status).toBe('done');
		for (const stream of streams) {
			expect(stream.end).toBe('done');
			expect(stream.text).toBe(reply.content);
		}
		// The early subscribers saw the reply arrive piece by piece, not in one final block (a late
		// one may join near the end, with the checkpoint as one catch-up delta).
		for (const stream of streams.slice(0, early.length)) expect(stream.deltas).toBeGreaterThan(5);
		const running = (await job(jobId)).claimed_by;
		expect([await instanceId(a), await instanceId(b)]).toContain(running);
	}, 60_000);

	it('a cancel sent to the other instance stops the reply where it runs', async () => {
		const id = await newConversation(onB);
		const result = await send(onB, id, 3000);
		const jobId = result.job.id;
		await streaming(jobId);
		const runner = (await job(jobId)).claimed_by;
		const other = runner === (await instanceId(a)) ? onB : onA;
		const cancelled = await other.json<{ job: JobDto }>('POST', `/api/jobs/${jobId}/cancel`);
		expect(cancelled.status).toBe(200);
		expect(cancelled.body.job.state).toBe('cancelled');
		const reply = await settledReply(onB, id, result.reply.id);
		expect(reply.status).toBe('cancelled');
		expect(reply.content.length).toBeGreaterThan(0);
		// The instance running it aborted upstream: llama-server's slots go idle, well before
		// the 3000 tokens it was asked for.
		await expect
			.poll(
				async () =>
					((await (await fetch(`${llama.url}/slots`)).json()) as { is_processing: boolean }[]).some(
						(s) => s.is_processing
					),
				{ timeout: 5_000, interval: 100 }
			)
			.toBe(false);
	}, 60_000);

	it('70 concurrent sign-ins for one account across both instances: 5 checked, no way in', async () => {
		const added = await addUser(database.db, {
			username: 'target',
			password: 'target-password',
			role: 'user'
		});
		expect(added.ok).toBe(true);
		const responses = await Promise.all(
			Array.from({ length: 70 }, (_, i) =>
				fetch(`${(i % 2 === 0 ? a : b).url}/api/auth/login`, {
					method: 'POST',
					headers: { 'content-type': 'application/json', origin: (i % 2 === 0 ? a : b).url },
					body: JSON.stringify({
						username: 'target',
						password: i === 50 ? 'target-password' : `guess-${i}`
					})
				})
			)
		);
		const statuses: Record<number, number> = {};
		for (const r of responses) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
		// 401 is a password checked and wrong; 429 was never checked.
		expect(statuses).toEqual({ 401: 5, 429: 65 });
		const refused = responses.find((r) => r.status === 429)!;
		expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
		expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('throttled');
		const rows = await database.db
			.selectFrom('auth_throttle')
			.select('attempts')
			.where('key', '=', 'account:target')
			.executeTakeFirstOrThrow();
		expect(rows.attempts).toBe(5);
	}, 60_000);
});
