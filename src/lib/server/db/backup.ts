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

/** Why `file` is not a usable Hearth backup, or null when it is (opens, intact, migrated). */
export function checkBackup(file: string): string | null {
	let db: SQLite.Database;
	try {
		db = new SQLite(file, { readonly: true, fileMustExist: true });
	} catch (error) {
		return `cannot open ${file}: ${error instanceof Error ? error.message : String(error)}`;
	}
	try {
		const integrity = db.pragma('integrity_check', { simple: true });
		if (integrity !== 'ok') return `${file} is damaged (integrity_check: ${String(integrity)})`;
		const migrations = db
			.prepare("select name from sqlite_master where type = 'table' and name = 'kysely_migration'")
			.get();
		if (!migrations) return `${file} is not a Hearth database`;
		return null;
	} catch (error) {
		return `${file} is not a SQLite database (${error instanceof Error ? error.message : String(error)})`;
	} finally {
		db.close();
	}
}

/**
 * Puts a checked backup in place of the database at `target`: copied beside it, then renamed over
 * it, so a crash leaves either the old or the new file; stale WAL/SHM files of the old one go.
 */
export function restoreSqlite(backup: string, target: string): number {
	const staging = `${target}.restoring`;
	fs.copyFileSync(backup, staging);
	fs.chmodSync(staging, 0o600);
	for (const suffix of ['-wal', '-shm']) fs.rmSync(target + suffix, { force: true });
	fs.renameSync(staging, target);
	return fs.statSync(target).size;
}
