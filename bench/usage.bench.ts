// The usage page and export over USAGE_BENCH_EVENTS usage events (default 1,000,000) for 20
// users and 2,000 conversations spread over a year, on USAGE_BENCH_DIALECT (sqlite, the default,
// or postgres: a throwaway cluster): p50/p95 of the page's queries (one user's month by day in a
// time zone, everyone's month, the admin's month with everyone's totals, one user's year by month)
// read from the rollups, against the same sums read from the events as the page did before (the
// baseline, in the same run); the most expensive conversations from events and from their
// rollup; the rollup migrations' backfills; the CSV export's rows per second. Prints the load average: the figures
// are only comparable within one run on a shared machine. Target from the issue: p95 ≤ 100 ms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, sql, type Compilable } from 'kysely';
import pg from 'pg';
import { it } from 'vitest';
import { startPostgres, type PostgresCluster } from '../tests/support/postgres';
import { createDatabase, type Database } from '$lib/server/db/database';
import { MIGRATIONS, migrateToLatest } from '$lib/server/db/migrator';
import { ProviderRegistry } from '$lib/server/llm/registry';
import * as usage from '$lib/server/repos/usage';
import { topConversations, topConversationsQuery } from '$lib/server/repos/usage-conversations';
import { rollupRowsQuery } from '$lib/server/repos/usage-rollup';
import { usageSummary, TOP_CONVERSATIONS, type SummaryQuery } from '$lib/server/services/usage';
import { rangesOf, rollupPieces } from '$lib/server/services/usage-pieces';
import { exportUsage } from '$lib/server/services/usage-export';
import { nextDay, startOfLocalDay } from '$lib/server/services/usage-range';
import { random } from './corpus';
import { fmt, median, percentile } from './support';

const EVENTS = Number(process.env.USAGE_BENCH_EVENTS ?? 1_000_000);
const DIALECT = process.env.USAGE_BENCH_DIALECT === 'postgres' ? 'postgres' : 'sqlite';
const USERS = 20;
const CONVERSATIONS = 2_000;
const YEAR_MS = 365 * 86_400_000;
const RUNS = 30;
/** The baseline reads events and is slow: fewer runs. */
const BASELINE_RUNS = 10;
const PG_BATCH_ROWS = 2_000;
const MODELS = ['gpt-5.1', 'gpt-4.1-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'qwen3-8b'];
const ROLLUP_MIGRATION = '2026-11-30T02-usage-rollup';
const CONVERSATION_MIGRATION = '2026-11-30T17-usage-conversation-day';
const HOURS_MIGRATION = '2026-11-30T17-usage-rollup-hours';

type EventRow = [number, number, string, string, number, number, number, number, number];

function* events(now: number): Generator<EventRow> {
	const rand = random(15);
	for (let i = 0; i < EVENTS; i++) {
		const c = Math.floor(rand() * CONVERSATIONS);
		const m = Math.floor(rand() * MODELS.length);
		const prompt = 200 + Math.floor(rand() * 4000);
		yield [
			1 + (c % USERS),
			c + 1,
			m === 4 ? 'llama' : 'openai',
			MODELS[m]!,
			prompt,
			50 + Math.floor(rand() * 1500),
			Math.floor(prompt * rand() * 0.5),
			Math.floor(rand() * 20_000),
			now - Math.floor(rand() * YEAR_MS)
		];
	}
}

const EVENT_COLUMNS = `user_id, conversation_id, source, provider, model, prompt_tokens,
	completion_tokens, cached_tokens, cost_micro_usd, created_at`;

function generateSqlite(file: string, now: number) {
	const raw = new SQLite(file);
	raw.pragma('journal_mode = WAL');
	raw.transaction(() => {
		const user = raw.prepare(
			"insert into user (username, password_hash, role, created_at, updated_at) values (?, 'x', 'user', 0, 0)"
		);
		for (let u = 1; u <= USERS; u++) user.run(`user${u}`);
		const conv = raw.prepare(
			'insert into conversation (user_id, title, created_at, updated_at) values (?, ?, 0, 0)'
		);
		for (let c = 0; c < CONVERSATIONS; c++) conv.run(1 + (c % USERS), `conversation ${c}`);
		const event = raw.prepare(
			`insert into usage_event (${EVENT_COLUMNS}) values (?, ?, 'chat', ?, ?, ?, ?, ?, ?, ?)`
		);
		for (const row of events(now)) event.run(...row);
	})();
	raw.close();
}

async function generatePostgres(url: string, now: number) {
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		await client.query('begin');
		await client.query(
			`insert into "user" (username, password_hash, role, created_at, updated_at)
			 select 'user' || n, 'x', 'user', 0, 0 from generate_series(1, ${USERS}) n`
		);
		await client.query(
			`insert into conversation (user_id, title, created_at, updated_at)
			 select 1 + (n % ${USERS}), 'conversation ' || n, 0, 0 from generate_series(0, ${CONVERSATIONS - 1}) n`
		);
		let batch: EventRow[] = [];
		const flush = async () => {
			const values = batch.map(
				(_, i) =>
					`($${i * 9 + 1}, $${i * 9 + 2}, 'chat', ${Array.from({ length: 7 }, (_, k) => `$${i * 9 + 3 + k}`).join(', ')})`
			);
			await client.query(
				`insert into usage_event (${EVENT_COLUMNS}) values ${values.join(', ')}`,
				batch.flat()
			);
			batch = [];
		};
		for (const row of events(now)) {
			batch.push(row);
			if (batch.length === PG_BATCH_ROWS) await flush();
		}
		if (batch.length > 0) await flush();
		await client.query('commit');
	} finally {
		await client.end();
	}
}

/**
 * The plan of a query on this dialect (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL; with
 * USAGE_BENCH_ANALYZE set, EXPLAIN ANALYZE).
 */
async function explain(db: Database, query: Compilable) {
	const { sql: text, parameters } = query.compile();
	const prefix =
		DIALECT === 'sqlite'
			? 'explain query plan '
			: process.env.USAGE_BENCH_ANALYZE
				? 'explain analyze '
				: 'explain ';
	const { rows } = await db.executeQuery(CompiledQuery.raw(prefix + text, [...parameters]));
	// A plan that repeats a step per range (an OR of index ranges) prints it once, with a count.
	const steps = new Map<string, number>();
	for (const r of rows) {
		const row = r as Record<string, unknown>;
		const step = String(row['QUERY PLAN'] ?? row.detail)
			.replace(/^INDEX \d+$/, 'INDEX')
			.replace(/'\d+'::bigint/g, '?')
			.replace(/\(cost=.*?\)/, '');
		steps.set(step, (steps.get(step) ?? 0) + 1);
	}
	return [...steps].map(([step, n]) => `    ${step}${n > 1 ? ` (×${n})` : ''}`).join('\n');
}

async function timed(runs: number, fn: () => Promise<unknown>) {
	const times: number[] = [];
	for (let i = 0; i < runs; i++) {
		const started = performance.now();
		await fn();
		times.push(performance.now() - started);
	}
	return `p50 ${fmt(median(times))} ms, p95 ${fmt(percentile(times, 95))} ms`;
}

/** The most expensive conversations as the page read them before their rollup: from the events. */
async function topConversationsFromEvents(db: Database, filter: usage.UsageFilter) {
	let sums = db
		.selectFrom('usage_event as u')
		.where('u.created_at', '>=', filter.from)
		.where('u.created_at', '<', filter.to)
		.where('u.conversation_id', 'is not', null);
	if (filter.userId !== undefined) sums = sums.where('u.user_id', '=', filter.userId);
	return db
		.selectFrom(
			sums
				.select(({ fn }) => [
					'u.conversation_id',
					fn.sum<number>('u.cost_micro_usd').as('cost'),
					sql<number>`sum(u.prompt_tokens + u.completion_tokens)`.as('tokens')
				])
				.groupBy('u.conversation_id')
				.as('s')
		)
		.innerJoin('conversation as c', 'c.id', 's.conversation_id')
		.where('c.deleted_at', 'is', null)
		.select(['c.id', 'c.title', 's.cost', 's.tokens'])
		.orderBy('s.cost', 'desc')
		.orderBy('c.id')
		.limit(TOP_CONVERSATIONS)
		.execute();
}

/**
 * What the page read before the rollups: the events' sums per quarter hour, the period before,
 * per user, the most expensive conversations.
 */
async function fromEvents(db: Database, query: SummaryQuery) {
	const from = startOfLocalDay(query.from, query.tz)!;
	const to = startOfLocalDay(nextDay(query.to), query.tz)!;
	const filter = { userId: query.userId, from, to };
	await usage.usageBuckets(db, filter);
	await topConversationsFromEvents(db, filter);
	await usage.usageBuckets(db, { ...filter, from: from - (to - from), to: from });
	if (query.byUser)
		await db
			.selectFrom('user')
			.leftJoin('usage_event as u', (join) =>
				join
					.onRef('u.user_id', '=', 'user.id')
					.on('u.created_at', '>=', from)
					.on('u.created_at', '<', to)
			)
			.select(({ fn }) => ['user.id', fn.sum('u.cost_micro_usd').as('cost')])
			.groupBy('user.id')
			.execute();
}

it(`usage page and export over ${EVENTS} usage events on ${DIALECT}`, async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-usage-bench-'));
	const file = path.join(dir, 'bench.db');
	const now = Date.UTC(2026, 10, 29, 12);
	let cluster: PostgresCluster | undefined;
	let db: Database | undefined;
	try {
		if (DIALECT === 'postgres') cluster = await startPostgres();
		db = await createDatabase(
			cluster ? { kind: 'postgres', url: cluster.url } : { kind: 'sqlite', path: file }
		);
		const migrated = await migrateToLatest(db);
		if (!migrated.ok) throw new Error(migrated.error);
		let started = performance.now();
		if (cluster) await generatePostgres(cluster.url, now);
		else generateSqlite(file, now);
		console.log(`generated ${EVENTS} events in ${fmt((performance.now() - started) / 1000)} s`);
		// The rollup migrations over the events that exist: their backfills are what an upgrade runs.
		const rollups: [string, 'usage_rollup' | 'usage_conversation_day'][] = [
			[ROLLUP_MIGRATION, 'usage_rollup'],
			[CONVERSATION_MIGRATION, 'usage_conversation_day'],
			[HOURS_MIGRATION, 'usage_rollup']
		];
		for (const [name] of [...rollups].reverse()) await MIGRATIONS[name]!.down!(db);
		for (const [name, table] of rollups) {
			started = performance.now();
			await MIGRATIONS[name]!.up(db);
			const rows = await db
				.selectFrom(table)
				.select(({ fn }) => fn.countAll<number>().as('n'))
				.executeTakeFirstOrThrow();
			console.log(
				`${name} (backfill, indexes): ${fmt((performance.now() - started) / 1000)} s, ${Number(rows.n)} rows`
			);
		}
		if (cluster) await sql`vacuum analyze`.execute(db);
		console.log(
			`load average (1, 5, 15 min): ${os
				.loadavg()
				.map((l) => fmt(l))
				.join(', ')}`
		);
		const providers = new ProviderRegistry(async () => []);
		const month: SummaryQuery = {
			userId: 7,
			from: '2026-11-01',
			to: '2026-11-29',
			tz: 'Europe/Paris',
			period: 'day'
		};
		const queries: [string, SummaryQuery][] = [
			["one user's month by day (Paris)", month],
			["one user's month by day (Los Angeles)", { ...month, tz: 'America/Los_Angeles' }],
			["everyone's month (no per-user list)", { ...month, userId: undefined }],
			["admin's month, everyone", { ...month, userId: undefined, byUser: true }],
			[
				"admin's month, everyone (Kolkata, +5:30)",
				{ ...month, userId: undefined, byUser: true, tz: 'Asia/Kolkata' }
			],
			["one user's year by month", { ...month, from: '2025-12-01', period: 'month' }]
		];
		for (const [name, query] of queries) {
			const db_ = db;
			const from = startOfLocalDay(query.from, query.tz)!;
			const to = startOfLocalDay(nextDay(query.to), query.tz)!;
			console.log(`${name}:`);
			console.log(
				`  baseline, sums from events: ${await timed(BASELINE_RUNS, () => fromEvents(db_, query))}`
			);
			const filter = { userId: query.userId, from, to };
			console.log(
				`  most expensive conversations, from events: ${await timed(RUNS, () => topConversationsFromEvents(db_, filter))}`
			);
			console.log(
				`  most expensive conversations, from their rollup: ${await timed(RUNS, () => topConversations(db_, filter, TOP_CONVERSATIONS))}`
			);

			console.log(
				`  whole page query (rollups): ${await timed(RUNS, () => usageSummary(db_, providers, query))}`
			);
		}
		console.log(
			`load average (1, 5, 15 min): ${os
				.loadavg()
				.map((l) => fmt(l))
				.join(', ')}`
		);
		// The plans of the two queries that read most: everyone's month in Kolkata.
		const kolkata = (day: string) => startOfLocalDay(day, 'Asia/Kolkata')!;
		const bounds: number[] = [];
		for (let day = month.from; day <= nextDay(month.to); day = nextDay(day))
			bounds.push(kolkata(day));
		const range = { from: bounds[0]!, to: bounds.at(-1)! };
		console.log(`plan, the rollup's rows of everyone's month (Kolkata):`);
		console.log(await explain(db, rollupRowsQuery(db, undefined, rangesOf(rollupPieces(bounds)))));
		console.log(`plan, everyone's most expensive conversations of the month (Kolkata):`);
		console.log(await explain(db, topConversationsQuery(db, range, TOP_CONVERSATIONS)));
		console.log(`plan, one user's most expensive conversations of the month (Kolkata):`);
		console.log(
			await explain(db, topConversationsQuery(db, { ...range, userId: 7 }, TOP_CONVERSATIONS))
		);

		const exportStarted = performance.now();
		let exported = -1;
		for await (const line of exportUsage(db, { from: 0, to: now + 1 }, 'csv'))
			exported += line ? 1 : 0;
		const seconds = (performance.now() - exportStarted) / 1000;
		console.log(
			`CSV export of every row: ${exported} rows in ${fmt(seconds)} s, ${fmt(exported / seconds, 0)} rows/s`
		);
	} finally {
		await db?.destroy();
		cluster?.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
