// Issue 20, case 4: the database misbehaves while replies are being written — a long reader (a
// backup), the SQLite file locked by another process, the disk full, PostgreSQL restarted under
// two instances. Every accepted message must be there once with one finished reply; whatever
// the server refused it refused with a 503 that says why and when to retry, and saved nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSlowLlamaServer, type LlamaServer } from '../tests/support/llama-server';
import {
	addUser,
	runCli,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../tests/support/hearth-server';
import { startPostgres, type PostgresCluster } from '../tests/support/postgres';
import { newConversation } from '../tests/support/chat';
import { createDatabase, type Database } from '$lib/server/db/database';
import { migrateToLatest } from '$lib/server/db/migrator';
import { addUser as addUserRow } from '$lib/server/services/accounts';
import { checkBackup } from '$lib/server/db/backup';
import { audit, allMessages, type Accepted } from './audit';
import { record, rssMb } from './table';
import { size } from './profile';
import { accepted, firstDelta, holdSqlite, sendUnique, type SendOutcome } from './sends';
import { settle } from './replies';

const USERS = 5;
const PASSWORD = 'fault-password-1';
/** Every poll of the suite comes from 127.0.0.1: the request buckets refill fast here. */
const TEST_TIMINGS = 'requestRefillMs=1';
const SETTLE_MS = size(120_000, 300_000);
const LOCK_MS = 10_000;
const DISK_FULL_MS = size(8_000, 20_000);

/** A refusal the fault allows: 503 with a Retry-After and one of the database codes. */
const isClearRefusal = (o: SendOutcome) =>
	o.status === 503 &&
	o.retryAfter !== null &&
	['database_busy', 'storage_full', 'database_unavailable'].includes(o.code ?? '');

/** Refused messages must not have been stored (nothing half-written). */
async function storedRefusals(
	refused: { client: ApiClient; conversationId: number; content: string }[]
) {
	let found = 0;
	for (const r of refused) {
		const messages = await allMessages(r.client, r.conversationId);
		found += messages.filter((m) => m.content === r.content).length;
	}
	return found;
}

const describeStates = (states: Record<string, number>) =>
	Object.entries(states)
		.map(([state, n]) => `${n} ${state}`)
		.join(', ');

describe('SQLite under a long reader, a lock and a full disk', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let clients: ApiClient[] = [];
	let dbFile: string;
	let flagDir: string;
	let diskFullFlag: string;

	beforeAll(async () => {
		flagDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-faults-flag-'));
		diskFullFlag = path.join(flagDir, 'disk-full');
		llama = await startSlowLlamaServer({ parallel: 4 });
		hearth = await startHearth({
			LLAMA_URL: llama.url,
			HEARTH_TEST_TIMINGS: TEST_TIMINGS,
			HEARTH_TEST_DISK_FULL_FLAG: diskFullFlag
		});
		dbFile = path.join(hearth.dataDir, 'hearth.db');
		for (let u = 0; u < USERS; u++) addUser(hearth, `db${u}`, PASSWORD);
		clients = await Promise.all(
			Array.from({ length: USERS }, (_, u) => signIn(hearth, `db${u}`, PASSWORD))
		);
	}, 180_000);
	afterAll(async () => {
		await hearth?.stop();
		await llama?.stop();
		fs.rmSync(flagDir, { recursive: true, force: true });
	});

	/** `n` replies spread over the users, one conversation each; waits until all are accepted. */
	async function sendMany(n: number, label: string, maxTokens: number) {
		const outcomes = await Promise.all(
			Array.from({ length: n }, async (_, i) => {
				const client = clients[i % clients.length]!;
				const conversationId = await newConversation(client);
				return {
					client,
					conversationId,
					outcome: await sendUnique(client, conversationId, label, maxTokens)
				};
			})
		);
		return outcomes;
	}

	test('a backup and a long read transaction while 20 replies write', async () => {
		const rssBefore = rssMb(hearth.process.pid!);
		const reader = await holdSqlite(dbFile, 'read');
		const target = path.join(flagDir, 'backup.db');
		let backupCode: number | null;
		let backupProblem: string | null;
		let walMb: number;
		const sends = await sendMany(20, 'backup', 120);
		try {
			// The backup runs while the replies stream (each has written its first words).
			await Promise.all(
				sends.filter((s) => s.outcome.sent).map((s) => firstDelta(s.client, s.outcome.sent!.job.id))
			);
			const backup = runCli(hearth.dataDir, ['backup', target]);
			backupCode = backup.code;
			backupProblem = backup.code === 0 ? checkBackup(target) : backup.err;
		} finally {
			// The reader is held until every reply has settled: the WAL cannot be checkpointed meanwhile.
			const list = sends
				.filter((s) => s.outcome.sent)
				.map((s) => accepted(s.client, s.conversationId, s.outcome));
			await settle(list, SETTLE_MS);
			walMb = fs.existsSync(`${dbFile}-wal`) ? fs.statSync(`${dbFile}-wal`).size / 2 ** 20 : 0;
			await reader.release();
		}
		const list: Accepted[] = sends
			.filter((s) => s.outcome.sent)
			.map((s) => accepted(s.client, s.conversationId, s.outcome));
		const result = await audit(list);
		const errors =
			sends.filter((s) => s.outcome.status !== 202).length +
			result.unfinished +
			(backupCode === 0 && backupProblem === null ? 0 : 1);
		const row = record({
			fault:
				'SQLite: `hearth backup` + a read transaction held in another process, 20 replies writing',
			usersSaw: `20 sends answered ${describeStatuses(sends.map((s) => s.outcome))}; replies ${describeStates(result.states)}`,
			lost: result.lost,
			duplicated: result.duplicated,
			errors,
			rssBeforeMb: rssBefore,
			rssAfterMb: rssMb(hearth.process.pid!),
			notes: `backup ${backupCode === 0 && backupProblem === null ? 'ok (integrity_check ok)' : `failed: ${backupProblem}`}; WAL under the reader ${walMb.toFixed(1)} MB`
		});
		expect(backupProblem).toBeNull();
		expect(list).toHaveLength(20);
		expect(row.lost).toBe(0);
		expect(row.duplicated).toBe(0);
		expect(row.errors).toBe(0);
		expect(result.states).toEqual({ done: 20 });
	}, 300_000);

	test('the SQLite file locked (BEGIN EXCLUSIVE) by another process for 10 s', async () => {
		const rssBefore = rssMb(hearth.process.pid!);
		// Replies running when the lock comes: they must finish, text whole, once it goes.
		const running = await sendMany(8, 'before-lock', 200);
		await Promise.all(
			running.filter((s) => s.outcome.sent).map((s) => firstDelta(s.client, s.outcome.sent!.job.id))
		);
		// Empty conversations made beforehand, one per send made while the file is locked.
		const spare = await spareConversations(clients.slice(0, 2), 20);
		const lock = await holdSqlite(dbFile, 'exclusive');
		const lockStarted = Date.now();
		let lockEnded: number;
		const during: { client: ApiClient; conversationId: number; outcome: SendOutcome }[] = [];
		const reads: { status: number; retryAfter: string | null }[] = [];
		const lockedUntil = Date.now() + LOCK_MS;
		try {
			// Two users keep sending while it is locked; a third keeps reading its conversations.
			const reader = (async () => {
				while (Date.now() < lockedUntil) {
					const res = await clients[2]!.call('GET', '/api/conversations');
					reads.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
					await res.arrayBuffer();
					await new Promise((r) => setTimeout(r, 250));
				}
			})();
			await Promise.all(
				spare.map(async ({ client, ids }) => {
					while (Date.now() < lockedUntil && ids.length > 0) {
						const conversationId = ids.pop()!;
						during.push({
							client,
							conversationId,
							outcome: await sendUnique(client, conversationId, 'locked', 16)
						});
						await new Promise((r) => setTimeout(r, 250));
					}
				})
			);
			await reader;
		} finally {
			await lock.release();
			lockEnded = Date.now();
		}
		// After the lock, all is well: a new message is taken and answered.
		const after = await sendMany(2, 'after-lock', 16);
		const all = [...running, ...during, ...after];
		const list = all
			.filter((s) => s.outcome.sent)
			.map((s) => accepted(s.client, s.conversationId, s.outcome));
		const settleStarted = Date.now();
		const settled = await settle(list, SETTLE_MS);
		const settleS = Math.round((Date.now() - settleStarted) / 1000);
		const result = await audit(list);
		const refused = during.filter((s) => s.outcome.status !== 202);
		const unclear = refused.filter((s) => !isClearRefusal(s.outcome)).length;
		const halfWritten = await storedRefusals(
			refused.map((s) => ({
				client: s.client,
				conversationId: s.conversationId,
				content: s.outcome.content
			}))
		);
		const row = record({
			fault: `SQLite file locked by another process (BEGIN EXCLUSIVE) for ${LOCK_MS / 1000} s, 8 replies streaming`,
			usersSaw:
				`sends during the lock: ${describeStatuses(during.map((s) => s.outcome))}; ` +
				`reads ${reads.filter((r) => r.status === 200).length}/${reads.length} ok (${[...new Set(reads.map((r) => r.status))].join('/')}); replies ${describeStates(result.states)}`,
			lost: result.lost,
			duplicated: result.duplicated,
			errors:
				unclear +
				reads.filter((r) => r.status !== 200 && !(r.status === 503 && r.retryAfter)).length +
				halfWritten +
				result.unfinished +
				(settled ? 0 : 1) +
				[...running, ...after].filter((s) => s.outcome.status !== 202).length,
			rssBeforeMb: rssBefore,
			rssAfterMb: rssMb(hearth.process.pid!),
			notes: `${refused.length} refused with 503 + Retry-After, ${halfWritten} of them stored anyway; after the lock ${after.filter((s) => s.outcome.status === 202).length}/2 sends taken; lock phase ${Math.round((lockEnded - lockStarted) / 1000)} s, all settled ${settleS} s after`
		});
		expect(row.lost).toBe(0);
		expect(row.duplicated).toBe(0);
		expect(row.errors).toBe(0);
		expect(result.states).toEqual({ done: list.length });
	}, 300_000);

	test('the disk full (injected write errors) while replies stream, then space returns', async () => {
		const rssBefore = rssMb(hearth.process.pid!);
		const running = await sendMany(8, 'before-full', 200);
		await Promise.all(
			running.filter((s) => s.outcome.sent).map((s) => firstDelta(s.client, s.outcome.sent!.job.id))
		);
		const during: { client: ApiClient; conversationId: number; outcome: SendOutcome }[] = [];
		const spare = await spareConversations(clients, 10);
		fs.writeFileSync(diskFullFlag, '');
		const fullUntil = Date.now() + DISK_FULL_MS;
		let healthy = 0;
		let checks = 0;
		try {
			while (Date.now() < fullUntil) {
				const { client, ids } = spare[during.length % spare.length]!;
				const conversationId = ids.pop();
				if (conversationId === undefined) break;
				during.push({
					client,
					conversationId,
					outcome: await sendUnique(client, conversationId, 'full', 16)
				});
				checks += 1;
				if ((await fetch(`${hearth.url}/healthz`)).ok) healthy += 1;
				await new Promise((r) => setTimeout(r, 250));
			}
		} finally {
			fs.rmSync(diskFullFlag, { force: true });
		}
		const after = await sendMany(2, 'after-full', 16);
		const all = [...running, ...during, ...after];
		const list = all
			.filter((s) => s.outcome.sent)
			.map((s) => accepted(s.client, s.conversationId, s.outcome));
		const settled = await settle(list, SETTLE_MS);
		const result = await audit(list);
		const refused = during.filter((s) => s.outcome.status !== 202);
		const unclear = refused.filter((s) => !isClearRefusal(s.outcome)).length;
		const halfWritten = await storedRefusals(
			refused.map((s) => ({
				client: s.client,
				conversationId: s.conversationId,
				content: s.outcome.content
			}))
		);
		const row = record({
			fault: `disk full (every write fails, injected) for ${DISK_FULL_MS / 1000} s, 8 replies streaming`,
			usersSaw:
				`sends while full: ${describeStatuses(during.map((s) => s.outcome))}; ` +
				`replies ${describeStates(result.states)}`,
			lost: result.lost,
			duplicated: result.duplicated,
			errors:
				unclear +
				halfWritten +
				result.unfinished +
				(settled ? 0 : 1) +
				(checks - healthy) +
				[...running, ...after].filter((s) => s.outcome.status !== 202).length,
			rssBeforeMb: rssBefore,
			rssAfterMb: rssMb(hearth.process.pid!),
			notes: `server up throughout (${healthy}/${checks} health checks); ${halfWritten} refused sends stored; after: ${after.filter((s) => s.outcome.status === 202).length}/2 sends taken`
		});
		expect(row.lost).toBe(0);
		expect(row.duplicated).toBe(0);
		expect(row.errors).toBe(0);
		// Replies that were running kept their text: each is done, none empty.
		const replies = await Promise.all(
			running.map(async (s) =>
				(await allMessages(s.client, s.conversationId)).find(
					(m) => m.id === s.outcome.sent!.reply.id
				)
			)
		);
		expect(replies.map((m) => m?.status)).toEqual(running.map(() => 'done'));
		expect(replies.filter((m) => !m?.content)).toEqual([]);
	}, 300_000);
});

/** True once every instance's /readyz says its relay (LISTEN connection) is up. */
async function relaysConnected(servers: HearthServer[], timeoutMs: number): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		const states = await Promise.all(
			servers.map(async (server) => {
				try {
					const body = (await (await fetch(`${server.url}/readyz`)).json()) as {
						checks: { relay?: string };
					};
					return body.checks.relay === 'ok';
				} catch {
					return false;
				}
			})
		);
		if (states.every(Boolean)) return true;
		await new Promise((r) => setTimeout(r, 250));
	}
	return false;
}

/** `n` empty conversations for each client, to send into while a fault lasts. */
async function spareConversations(clients: ApiClient[], n: number) {
	return Promise.all(
		clients.map(async (client) => {
			const ids: number[] = [];
			for (let i = 0; i < n; i++) ids.push(await newConversation(client));
			return { client, ids };
		})
	);
}

/** A new conversation, or null when the database refused it (503 while locked). */
async function newConversationOrNull(client: ApiClient): Promise<number | null> {
	const res = await client.json<{ id: number }>('POST', '/api/conversations', {});
	return res.status === 201 ? res.body.id : null;
}

function describeStatuses(outcomes: SendOutcome[]): string {
	const counts: Record<string, number> = {};
	for (const o of outcomes) {
		const key = o.status === 202 ? '202' : `${o.status} ${o.code ?? '?'}`;
		counts[key] = (counts[key] ?? 0) + 1;
	}
	return (
		Object.entries(counts)
			.map(([k, n]) => `${n}× ${k}`)
			.join(', ') || 'none'
	);
}

describe('PostgreSQL restarted mid-stream under two instances', () => {
	let cluster: PostgresCluster;
	let db: Database;
	let llama: LlamaServer;
	let a: HearthServer;
	let b: HearthServer;
	let onA: ApiClient[];
	let onB: ApiClient[];

	beforeAll(async () => {
		cluster = await startPostgres();
		db = await createDatabase({ kind: 'postgres', url: cluster.url });
		const migrated = await migrateToLatest(db);
		if (!migrated.ok) throw new Error(migrated.error);
		for (let u = 0; u < 3; u++) {
			const added = await addUserRow(db, { username: `pg${u}`, password: PASSWORD, role: 'user' });
			if (!added.ok) throw new Error(added.message);
		}
		// The test's own connection is not needed during the restart.
		await db.destroy();
		llama = await startSlowLlamaServer({ parallel: 4 });
		const env = {
			DATABASE_URL: cluster.url,
			LLAMA_URL: llama.url,
			HEARTH_TEST_TIMINGS: TEST_TIMINGS
		};
		[a, b] = await Promise.all([startHearth(env), startHearth(env)]);
		onA = await Promise.all([0, 1, 2].map((u) => signIn(a, `pg${u}`, PASSWORD)));
		onB = await Promise.all([0, 1, 2].map((u) => signIn(b, `pg${u}`, PASSWORD)));
	}, 180_000);
	afterAll(async () => {
		await Promise.all([a?.stop(), b?.stop()]);
		await llama?.stop();
		cluster?.stop();
	});

	test('PostgreSQL restarted while 12 replies stream on two instances', async () => {
		const rss = () => `${rssMb(a.process.pid!)}+${rssMb(b.process.pid!)}`;
		const rssBefore = (rssMb(a.process.pid!) ?? 0) + (rssMb(b.process.pid!) ?? 0);
		const rssNoteBefore = rss();
		const sends = await Promise.all(
			Array.from({ length: 12 }, async (_, i) => {
				const client = (i % 2 === 0 ? onA : onB)[i % 3]!;
				const conversationId = await newConversation(client);
				return {
					client,
					conversationId,
					outcome: await sendUnique(client, conversationId, 'pg', 200)
				};
			})
		);
		await Promise.all(
			sends.filter((s) => s.outcome.sent).map((s) => firstDelta(s.client, s.outcome.sent!.job.id))
		);
		await cluster.restart(size(2_000, 5_000));
		// The LISTEN connections reconnect by themselves (readiness reports them; bounded wait).
		const relaysBack = await relaysConnected([a, b], 30_000);
		// Both instances take new messages again (their pools reconnect): bounded retries, since the
		// pool learns of the restart on its next query.
		const after: typeof sends = [];
		for (const client of [onA[0]!, onB[1]!]) {
			const deadline = Date.now() + 30_000;
			for (;;) {
				const conversationId = await newConversationOrNull(client);
				const outcome =
					conversationId === null
						? null
						: await sendUnique(client, conversationId, 'pg-after', 200);
				if (outcome?.sent) {
					after.push({ client, conversationId: conversationId!, outcome });
					break;
				}
				if (Date.now() > deadline) break;
				await new Promise((r) => setTimeout(r, 250));
			}
		}
		// Then a reply started on one instance streams live to the other.
		const relayed = { deltas: 0, text: '', end: 'none' };
		const live = after.find((s) => onB.includes(s.client));
		if (live) {
			const other = onA[onB.indexOf(live.client)]!;
			const events = await other.events(live.outcome.sent!.job.id);
			for await (const event of events) {
				if (event.event === 'delta') {
					relayed.deltas += 1;
					relayed.text += (JSON.parse(event.data) as { text?: string }).text ?? '';
				} else if (event.event === 'done' || event.event === 'error') {
					relayed.end = event.event;
					break;
				}
			}
		}
		const all = [...sends, ...after];
		const list = all
			.filter((s) => s.outcome.sent)
			.map((s) => accepted(s.client, s.conversationId, s.outcome));
		const settled = await settle(list, SETTLE_MS);
		const result = await audit(list);
		// Why a reply did not end done, in its own words (the error a user sees under it).
		const whyNot = new Set<string>();
		for (const s of all.filter((x) => x.outcome.sent)) {
			const reply = (await allMessages(s.client, s.conversationId)).find(
				(m) => m.id === s.outcome.sent!.reply.id
			);
			if (reply && reply.status !== 'done') whyNot.add(`${reply.status}: ${reply.error ?? '?'}`);
		}
		const liveReply = live
			? (await allMessages(live.client, live.conversationId)).find(
					(m) => m.id === live.outcome.sent!.reply.id
				)
			: undefined;
		const relayOk =
			relaysBack &&
			!!live &&
			relayed.end === 'done' &&
			relayed.deltas > 1 &&
			relayed.text === liveReply?.content;
		const row = record({
			fault: 'PostgreSQL restarted (fast stop, start) mid-stream, two Hearth instances, 12 replies',
			usersSaw: `replies ${describeStates(result.states)}; after the restart ${after.length}/2 instances took a new message`,
			lost: result.lost,
			duplicated: result.duplicated,
			errors:
				sends.filter((s) => s.outcome.status !== 202).length +
				(2 - after.length) +
				result.unfinished +
				(settled ? 0 : 1) +
				(relayOk ? 0 : 1),
			rssBeforeMb: rssBefore,
			rssAfterMb: (rssMb(a.process.pid!) ?? 0) + (rssMb(b.process.pid!) ?? 0),
			notes: `RSS a+b ${rssNoteBefore} → ${rss()} MB; relay after restart: ${relayed.deltas} live deltas, end ${relayed.end}, text ${relayed.text.length}/${liveReply?.content.length ?? '?'} chars; LISTEN reconnected: ${relaysBack}${whyNot.size ? `; not done: ${[...whyNot].join(' / ')}` : ''}`
		});
		expect(row.lost).toBe(0);
		expect(row.duplicated).toBe(0);
		expect(row.errors).toBe(0);
		expect(result.states).toEqual({ done: list.length });
	}, 300_000);
});
