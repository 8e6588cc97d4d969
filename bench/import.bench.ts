// Import of a generated ChatGPT export (default 100,000 messages in conversations of 20, written
// to a file as a stream): messages stored per second and the peak growth of this process's
// resident memory while importing (the file is streamed, so it should stay far below the file's
// size; target ≤ 100 MB). HEARTH_BENCH_IMPORT_MESSAGES sets the size (e.g. 2000 for a smoke run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { it } from 'vitest';
import { createDatabase } from '$lib/server/db/database';
import { migrateToLatest } from '$lib/server/db/migrator';
import { ImportRunner } from '$lib/server/imports/runner';
import { importSpoolDir } from '$lib/server/imports/spool';
import { getImport, startImport } from '$lib/server/services/imports';
import { chatgptLinearConversation } from '../tests/support/import-fixtures';
import { fmt } from './support';

const MESSAGES = Number(process.env.HEARTH_BENCH_IMPORT_MESSAGES ?? 100_000);
const PER_CONVERSATION = 20;
const RSS_SAMPLE_MS = 25;

function writeExport(file: string): number {
	const fd = fs.openSync(file, 'w', 0o600);
	fs.writeSync(fd, '[');
	const conversations = Math.ceil(MESSAGES / PER_CONVERSATION);
	for (let i = 0; i < conversations; i++) {
		const c = chatgptLinearConversation(`bench-${i}`, PER_CONVERSATION, 40);
		fs.writeSync(fd, (i > 0 ? ',' : '') + JSON.stringify(c));
	}
	fs.writeSync(fd, ']');
	fs.closeSync(fd);
	return conversations;
}

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
	const runner = new ImportRunner({
		db,
		dataDir,
		log: pino({ level: 'silent' }),
		recoverAll: true
	});
	await runner.start();
	fs.mkdirSync(importSpoolDir(dataDir), { recursive: true });
	const file = path.join(importSpoolDir(dataDir), 'bench.upload');
	const conversations = writeExport(file);
	const size = fs.statSync(file).size;

	(globalThis as { gc?: () => void }).gc?.();
	const baseline = process.memoryUsage().rss;
	let peak = baseline;
	const sampler = setInterval(
		() => (peak = Math.max(peak, process.memoryUsage().rss)),
		RSS_SAMPLE_MS
	);
	const started = performance.now();
	const result = await startImport(db, runner, userId, [
		{ path: file, name: 'conversations.json', size }
	]);
	if (!result.ok) throw new Error(result.message);
	await runner.idle();
	const seconds = (performance.now() - started) / 1000;
	clearInterval(sampler);
	const end = await getImport(db, userId, result.import.id);
	if (end?.state !== 'done' || end.done !== conversations)
		throw new Error(`import ended ${JSON.stringify(end)}`);
	const messages = conversations * PER_CONVERSATION;
	console.log(
		`import: ${messages} messages in ${conversations} conversations, ${fmt(size / 1024 / 1024)} MB of JSON, ` +
			`${fmt(seconds)} s, ${fmt(messages / seconds, 0)} messages/s, ` +
			`peak RSS growth ${fmt((peak - baseline) / 1024 / 1024)} MB`
	);
	await runner.stop();
	await db.destroy();
	fs.rmSync(dataDir, { recursive: true, force: true });
});
