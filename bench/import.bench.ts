// Import of a generated ChatGPT export (default 100,000 messages in conversations of 20, written
// to a file as a stream): messages stored per second and the peak growth of this process's
// resident memory while importing (the file is streamed, so it should stay far below the file's
// size; target ≤ 100 MB). HEARTH_BENCH_IMPORT_MESSAGES sets the size (e.g. 2000 for a smoke run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'vitest';
import { createDatabase } from '$lib/server/db/database';
import { migrateToLatest } from '$lib/server/db/migrator';
import { importGeneratedExport } from '../tests/support/generated-import';
import { fmt } from './support';

const MESSAGES = Number(process.env.HEARTH_BENCH_IMPORT_MESSAGES ?? 100_000);
const PER_CONVERSATION = 20;
const RSS_SAMPLE_MS = 25;

it(`imports a ${MESSAGES}-message ChatGPT export`, async () => {
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-import-bench-'));
	const db = await createDatabase({ kind: 'sqlite', path: path.join(dataDir, 'hearth.db') });
	const migrated = await migrateToLatest(db);
	if (!migrated.ok) throw new Error(migrated.error);
	const { id: userId } = await db
		.insertInto('user')
		.values({ username: 'bench', password_hash: 'x', role: 'user', created_at: 0, updated_at: 0 })
		.returning('id')
		.executeTakeFirstOrThrow();
	const conversations = Math.ceil(MESSAGES / PER_CONVERSATION);
	let baseline = 0;
	let peak = 0;
	let started = 0;
	const sampler = setInterval(
		() => (peak = Math.max(peak, process.memoryUsage().rss)),
		RSS_SAMPLE_MS
	);
	const { bytes: size } = await importGeneratedExport(
		db,
		dataDir,
		userId,
		{ conversations, messagesPerConversation: PER_CONVERSATION, wordsPerMessage: 40 },
		() => {
			(globalThis as { gc?: () => void }).gc?.();
			baseline = peak = process.memoryUsage().rss;
			started = performance.now();
		}
	);
	const seconds = (performance.now() - started) / 1000;
	clearInterval(sampler);
	const messages = conversations * PER_CONVERSATION;
	console.log(
		`import: ${messages} messages in ${conversations} conversations, ${fmt(size / 1024 / 1024)} MB of JSON, ` +
			`${fmt(seconds)} s, ${fmt(messages / seconds, 0)} messages/s, ` +
			`peak RSS growth ${fmt((peak - baseline) / 1024 / 1024)} MB`
	);
	await db.destroy();
	fs.rmSync(dataDir, { recursive: true, force: true });
});
