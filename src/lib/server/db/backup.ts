// A consistent online copy of the SQLite database: VACUUM INTO reads one snapshot inside a read
// transaction, so the server may keep writing (WAL) while it runs.
import fs from 'node:fs';
import SQLite from 'better-sqlite3';
import { SQLITE_BUSY_TIMEOUT_MS } from '$lib/server/db/database';

export function backupSqlite(source: string, target: string): number {
	const db = new SQLite(source, { fileMustExist: true });
	try {
		db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
		db.prepare('VACUUM INTO ?').run(target);
	} finally {
		db.close();
	}
	fs.chmodSync(target, 0o600);
	return fs.statSync(target).size;
}
