// A household's history for the soak, as someone who moved in from ChatGPT brings it: a generated
// export imported into the data folder before the server starts, then read once through the API
// (the whole-account export and a few searches). SQLite's page cache (32 MB in
// src/lib/server/db/database.ts) fills from it during the warm-up, as it would after months of use,
// so the measured window shows the server's steady state instead of the cache filling up.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { createDatabase } from '$lib/server/db/database';
import { ImportRunner } from '$lib/server/imports/runner';
import { importSpoolDir } from '$lib/server/imports/spool';
import { getImport, startImport } from '$lib/server/services/imports';
import { chatgptLinearConversation } from '../tests/support/import-fixtures';
import { runCli, type ApiClient } from '../tests/support/hearth-server';

const PER_CONVERSATION = 20;
const WORDS_PER_MESSAGE = 60;
const SEARCHED_WORDS = ['word1', 'word100', 'word500', 'word996', 'user', 'assistant'];

/** Creates `username` in `dataDir` and imports `messages` generated messages for them. */
export async function seedHistory(
	dataDir: string,
	username: string,
	password: string,
	messages: number
): Promise<{ conversations: number; dbBytes: number }> {
	const added = runCli(dataDir, ['user', 'add', username, '--password-stdin'], password);
	if (added.code !== 0) throw new Error(added.err);
	const dbFile = path.join(dataDir, 'hearth.db');
	const db = await createDatabase({ kind: 'sqlite', path: dbFile });
	try {
		const { id: userId } = await db
			.selectFrom('user')
			.select('id')
			.where('username', '=', username)
			.executeTakeFirstOrThrow();
		const runner = new ImportRunner({
			db,
			dataDir,
			log: pino({ level: 'silent' }),
			recoverAll: true
		});
		await runner.start();
		fs.mkdirSync(importSpoolDir(dataDir), { recursive: true });
		const file = path.join(importSpoolDir(dataDir), 'history.upload');
		const conversations = writeExport(file, Math.ceil(messages / PER_CONVERSATION));
		const started = await startImport(db, runner, userId, [
			{ path: file, name: 'conversations.json', size: fs.statSync(file).size }
		]);
		if (!started.ok) throw new Error(started.message);
		await runner.idle();
		await runner.stop();
		const end = await getImport(db, userId, started.import.id);
		if (end?.state !== 'done' || end.done !== conversations)
			throw new Error(`the history import ended ${JSON.stringify(end)}`);
	} finally {
		await db.destroy();
	}
	return {
		conversations: Math.ceil(messages / PER_CONVERSATION),
		dbBytes: fs.statSync(dbFile).size
	};
}

function writeExport(file: string, conversations: number): number {
	const fd = fs.openSync(file, 'w', 0o600);
	try {
		fs.writeSync(fd, '[');
		for (let i = 0; i < conversations; i++) {
			const c = chatgptLinearConversation(`history-${i}`, PER_CONVERSATION, WORDS_PER_MESSAGE);
			fs.writeSync(fd, (i > 0 ? ',' : '') + JSON.stringify(c));
		}
		fs.writeSync(fd, ']');
	} finally {
		fs.closeSync(fd);
	}
	return conversations;
}

/** Reads the whole history once through the server (export and searches); returns bytes read. */
export async function readHistory(client: ApiClient): Promise<number> {
	const res = await client.call('GET', '/api/export');
	if (!res.ok || !res.body) throw new Error(`export answered ${res.status}`);
	let bytes = 0;
	for await (const chunk of res.body) bytes += (chunk as Uint8Array).byteLength;
	for (const word of SEARCHED_WORDS) {
		const found = await client.call('GET', `/api/search?q=${encodeURIComponent(word)}`);
		if (!found.ok) throw new Error(`search answered ${found.status}`);
		await found.arrayBuffer();
	}
	return bytes;
}
