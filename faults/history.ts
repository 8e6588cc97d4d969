// A household's history for the soak, as someone who moved in from ChatGPT brings it: a generated
// export imported into the data folder before the server starts, then read once through the API
// (the whole-account export and a few searches). SQLite's page cache (32 MB in
// src/lib/server/db/database.ts) fills from it during the warm-up, as it would after months of use,
// so the measured window shows the server's steady state instead of the cache filling up.
import fs from 'node:fs';
import path from 'node:path';
import { createDatabase } from '$lib/server/db/database';
import { importGeneratedExport } from '../tests/support/generated-import';
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
	const conversations = Math.ceil(messages / PER_CONVERSATION);
	const db = await createDatabase({ kind: 'sqlite', path: dbFile });
	try {
		const { id: userId } = await db
			.selectFrom('user')
			.select('id')
			.where('username', '=', username)
			.executeTakeFirstOrThrow();
		await importGeneratedExport(db, dataDir, userId, {
			conversations,
			messagesPerConversation: PER_CONVERSATION,
			wordsPerMessage: WORDS_PER_MESSAGE
		});
	} finally {
		await db.destroy();
	}
	return { conversations, dbBytes: fs.statSync(dbFile).size };
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
