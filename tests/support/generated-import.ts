// A generated ChatGPT export imported in this process, as the import bench and the soak's history
// use it: written to the import spool as a stream, then run by an ImportRunner to its end.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Database } from '$lib/server/db/database';
import { ImportRunner } from '$lib/server/imports/runner';
import { importSpoolDir } from '$lib/server/imports/spool';
import { getImport, startImport } from '$lib/server/services/imports';
import { chatgptLinearConversation } from './import-fixtures';

export interface GeneratedExport {
	conversations: number;
	messagesPerConversation: number;
	wordsPerMessage: number;
}

/**
 * Imports a generated export for `userId` and checks that every conversation was stored.
 * `onStart` runs once the file is written, just before the import starts (a bench's clock).
 */
export async function importGeneratedExport(
	db: Database,
	dataDir: string,
	userId: number,
	generated: GeneratedExport,
	onStart: () => void = () => {}
): Promise<{ bytes: number }> {
	const runner = new ImportRunner({
		db,
		dataDir,
		log: pino({ level: 'silent' }),
		recoverAll: true
	});
	await runner.start();
	try {
		fs.mkdirSync(importSpoolDir(dataDir), { recursive: true });
		const file = path.join(importSpoolDir(dataDir), 'generated.upload');
		writeExport(file, generated);
		const bytes = fs.statSync(file).size;
		onStart();
		const started = await startImport(db, runner, userId, [
			{ path: file, name: 'conversations.json', size: bytes }
		]);
		if (!started.ok) throw new Error(started.message);
		await runner.idle();
		const end = await getImport(db, userId, started.import.id);
		if (end?.state !== 'done' || end.done !== generated.conversations)
			throw new Error(`the generated import ended ${JSON.stringify(end)}`);
		return { bytes };
	} finally {
		await runner.stop();
	}
}

function writeExport(file: string, generated: GeneratedExport) {
	const fd = fs.openSync(file, 'w', 0o600);
	try {
		fs.writeSync(fd, '[');
		for (let i = 0; i < generated.conversations; i++) {
			const c = chatgptLinearConversation(
				`generated-${i}`,
				generated.messagesPerConversation,
				generated.wordsPerMessage
			);
			fs.writeSync(fd, (i > 0 ? ',' : '') + JSON.stringify(c));
		}
		fs.writeSync(fd, ']');
	} finally {
		fs.closeSync(fd);
	}
}
