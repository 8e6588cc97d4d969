// The usage page and export over USAGE_BENCH_EVENTS usage events (default 1,000,000) for 20
// users and 2,000 conversations spread over a year, in SQLite: p95 of the page's queries (one
// user's month by day in a time zone, the admin's month with everyone's totals, one user's year by
// month) and the CSV export's rows per second. Target from the issue: p95 ≤ 100 ms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { it } from 'vitest';
import { createDatabase } from '$lib/server/db/database';
import { migrateToLatest } from '$lib/server/db/migrator';
import { ProviderRegistry } from '$lib/server/llm/registry';
import { usageSummary, type SummaryQuery } from '$lib/server/services/usage';
import { exportUsage } from '$lib/server/services/usage-export';
import { random } from './corpus';
import { fmt, median, percentile } from './support';

const EVENTS = Number(process.env.USAGE_BENCH_EVENTS ?? 1_000_000);
const USERS = 20;
const CONVERSATIONS = 2_000;
const YEAR_MS = 365 * 86_400_000;
const RUNS = 30;
const MODELS = ['gpt-5.1', 'gpt-4.1-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'qwen3-8b'];

function generate(file: string, now: number) {
	const rand = random(15);
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
			`insert into usage_event (user_id, conversation_id, source, provider, model, prompt_tokens,
			 completion_tokens, cached_tokens, cost_micro_usd, created_at) values (?, ?, 'chat', ?, ?, ?, ?, ?, ?, ?)`
		);
		for (let i = 0; i < EVENTS; i++) {
			const c = Math.floor(rand() * CONVERSATIONS);
			const m = Math.floor(rand() * MODELS.length);
			const prompt = 200 + Math.floor(rand() * 4000);
			event.run(
				1 + (c % USERS),
				c + 1,
				m === 4 ? 'home' : 'cloud',
				MODELS[m],
				prompt,
				50 + Math.floor(rand() * 1500),
				Math.floor(prompt * rand() * 0.5),
				Math.floor(rand() * 20_000),
				now - Math.floor(rand() * YEAR_MS)
			);
		}
	})();
	raw.close();
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

it(`usage page and export over ${EVENTS} usage events`, async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-usage-bench-'));
	const file = path.join(dir, 'bench.db');
	const now = Date.UTC(2026, 10, 29, 12);
	const db = await createDatabase({ kind: 'sqlite', path: file });
	try {
		const migrated = await migrateToLatest(db);
		if (!migrated.ok) throw new Error(migrated.error);
		const started = performance.now();
		generate(file, now);
		console.log(`generated ${EVENTS} events in ${fmt((performance.now() - started) / 1000)} s`);
		const providers = new ProviderRegistry(async () => []);
		const month: SummaryQuery = {
			userId: 7,
			from: '2026-11-01',
			to: '2026-11-29',
			tz: 'Europe/Paris',
			period: 'day'
		};
		console.log(
			`one user's month by day: ${await timed(RUNS, () => usageSummary(db, providers, month))}`
		);
		console.log(
			`everyone's month (no per-user list): ${await timed(RUNS, () => usageSummary(db, providers, { ...month, userId: undefined }))}`
		);
		console.log(
			`admin's month, everyone: ${await timed(RUNS, () => usageSummary(db, providers, { ...month, userId: undefined, byUser: true }))}`
		);
		console.log(
			`one user's year by month: ${await timed(RUNS, () => usageSummary(db, providers, { ...month, from: '2025-12-01', period: 'month' }))}`
		);
		const exportStarted = performance.now();
		let rows = -1;
		for await (const line of exportUsage(db, { from: 0, to: now + 1 }, 'csv')) rows += line ? 1 : 0;
		const seconds = (performance.now() - exportStarted) / 1000;
		console.log(
			`CSV export of every row: ${rows} rows in ${fmt(seconds)} s, ${fmt(rows / seconds, 0)} rows/s`
		);
	} finally {
		await db.destroy();
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
