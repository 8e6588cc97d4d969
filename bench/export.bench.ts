// "Download all my data" over a generated history of EXPORT_BENCH_MESSAGES messages (default
// 100,000: one user, conversations of 100 messages each, Markdown replies with code and tables)
// in SQLite: the streamed ZIP's throughput (MB of ZIP per second) and the process's peak RSS
// growth while writing it, which must stay flat as the history grows (nothing held whole).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { it } from 'vitest';
import { createDatabase } from '$lib/server/db/database';
import { migrateToLatest } from '$lib/server/db/migrator';
import { archiveChunks } from '$lib/server/services/exports';
import { markdownReply, random, words } from './corpus';
import { fmt } from './support';

const MESSAGES = Number(process.env.EXPORT_BENCH_MESSAGES ?? 100_000);
const MESSAGES_PER_CONVERSATION = 100;
const BATCH = 20_000;
const MB = 1024 * 1024;

function generate(file: string) {
	const rand = random(11);
	const raw = new SQLite(file);
	raw.pragma('journal_mode = WAL');
	const now = Date.now();
	raw
		.prepare(
			"insert into user (username, password_hash, role, created_at, updated_at) values ('mover', 'x', 'user', ?, ?)"
		)
		.run(now, now);
	const conversation = raw.prepare(
		"insert into conversation (user_id, title, settings, created_at, updated_at) values (1, ?, '{}', ?, ?)"
	);
	const message = raw.prepare(
		"insert into message (conversation_id, user_id, parent_id, role, content, status, provider, model, created_at, updated_at) values (?, 1, ?, ?, ?, 'done', ?, ?, ?, ?)"
	);
	let conversationId = 0;
	let parent: number | null = null;
	for (let from = 0; from < MESSAGES; from += BATCH) {
		raw.transaction(() => {
			for (let i = from; i < Math.min(MESSAGES, from + BATCH); i++) {
				if (i % MESSAGES_PER_CONVERSATION === 0) {
					conversationId = Number(
						conversation.run(`Conversation ${i / MESSAGES_PER_CONVERSATION}`, now, now)
							.lastInsertRowid
					);
					parent = null;
				}
				const user = i % 2 === 0;
				const content = user
					? words(rand, 10 + Math.floor(rand() * 30))
					: markdownReply(rand, 300 + Math.floor(rand() * 1200));
				parent = Number(
					message.run(
						conversationId,
						parent,
						user ? 'user' : 'assistant',
						content,
						user ? null : 'llama',
						user ? null : 'default',
						now + i,
						now + i
					).lastInsertRowid
				);
			}
		})();
	}
	raw.close();
}

it(`ZIP export of ${MESSAGES} messages: MB/s and peak RSS`, async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-export-bench-'));
	const file = path.join(dir, 'hearth.db');
	const db = await createDatabase({ kind: 'sqlite', path: file });
	try {
		const migrated = await migrateToLatest(db);
		if (!migrated.ok) throw new Error(migrated.error);
		const generatedAt = performance.now();
		generate(file);
		const dbMb =
			(fs.statSync(file).size +
				(fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0)) /
			MB;
		console.log(
			`  generated ${MESSAGES} messages (${fmt(dbMb, 0)} MB database) in ${fmt((performance.now() - generatedAt) / 1000)} s`
		);
		globalThis.gc?.();
		const baseRss = process.memoryUsage().rss;
		let peakRss = baseRss;
		let bytes = 0;
		const started = performance.now();
		for await (const chunk of archiveChunks(db, 1, Date.now())) {
			bytes += chunk.byteLength;
			peakRss = Math.max(peakRss, process.memoryUsage().rss);
		}
		const seconds = (performance.now() - started) / 1000;
		console.log(
			[
				`ZIP export of ${MESSAGES} messages (${MESSAGES / MESSAGES_PER_CONVERSATION} conversations):`,
				`  ${fmt(bytes / MB)} MB of ZIP in ${fmt(seconds)} s: ${fmt(bytes / MB / seconds)} MB/s (${fmt(MESSAGES / seconds, 0)} messages/s)`,
				`  RSS ${fmt(baseRss / MB, 0)} MB before, peak ${fmt(peakRss / MB, 0)} MB: growth ${fmt((peakRss - baseRss) / MB)} MB`
			].join('\n')
		);
	} finally {
		await db.destroy();
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
