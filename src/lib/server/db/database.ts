// Opens the Kysely instance for the configured dialect: SQLite (WAL, foreign keys, busy timeout)
// by default, PostgreSQL when DATABASE_URL says postgres://.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type { DatabaseConfig } from '$lib/server/config';
import type { DB } from '$lib/server/db/schema';
import { DiskFullPlugin } from '$lib/server/db/fault-injection';
import {
	PatientSqliteDialect,
	reusingStatements,
	type BusyWait
} from '$lib/server/db/patient-sqlite';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, restrictMode } from '$lib/server/private-files';

export type Database = Kysely<DB>;
export type Executor = Kysely<DB> | Transaction<DB>;

export const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** The server's own wait for a lock: SQLite blocks the event loop for at most SYNC_MS per try. */
export const SQLITE_SERVER_BUSY_WAIT: BusyWait = {
	syncMs: 10,
	totalMs: SQLITE_BUSY_TIMEOUT_MS,
	maxPauseMs: 250
};
const PG_POOL_MAX = 10;
/** SQLite's page cache (KiB; the default is 2 MB): search over a large history re-reads less. */
const SQLITE_CACHE_KIB = 32 * 1024;
const PG_INT8_OID = 20;

const SQLITE_FILE_SUFFIXES = ['', '-wal', '-shm'] as const;

export function openSqlite(file: string): SQLite.Database {
	const onDisk = file !== ':memory:';
	if (onDisk) {
		fs.mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
		// Created 0600 before SQLite opens it: SQLite gives the WAL and SHM files the same mode.
		fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
		for (const suffix of SQLITE_FILE_SUFFIXES) restrictMode(file + suffix, PRIVATE_FILE_MODE);
	}
	const sqlite = new SQLite(file);
	sqlite.pragma('journal_mode = WAL');
	if (onDisk) {
		for (const suffix of SQLITE_FILE_SUFFIXES) restrictMode(file + suffix, PRIVATE_FILE_MODE);
	}
	sqlite.pragma('synchronous = NORMAL');
	sqlite.pragma('foreign_keys = ON');
	sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
	sqlite.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
	return sqlite;
}

/** `pg` is imported only for PostgreSQL, so a SQLite install does not carry it in memory. */
export async function createDatabase(
	config: DatabaseConfig,
	/** Test-only: the flag file of HEARTH_TEST_DISK_FULL_FLAG (db/fault-injection.ts). */
	diskFullFlag: string | null = null
): Promise<Database> {
	const plugins = diskFullFlag ? [new DiskFullPlugin(diskFullFlag)] : [];
	if (config.kind === 'sqlite') {
		const sqlite = openSqlite(config.path);
		sqlite.pragma(`busy_timeout = ${SQLITE_SERVER_BUSY_WAIT.syncMs}`);
		return new Kysely<DB>({
			dialect: new PatientSqliteDialect(
				{ database: reusingStatements(sqlite) },
				SQLITE_SERVER_BUSY_WAIT
			),
			plugins
		});
	}
	const { default: pg } = await import('pg');
	const pool = new pg.Pool({
		connectionString: config.url,
		max: PG_POOL_MAX,
		// Timestamps are bigint milliseconds: well inside Number's exact range.
		types: {
			getTypeParser: (oid: number, format?: 'text' | 'binary') =>
				oid === PG_INT8_OID
					? (value: string) => Number(value)
					: pg.types.getTypeParser(oid, format as 'text')
		}
	});
	// An idle connection the server ended (a restart, an admin) must not take the process down:
	// the pool drops it and opens another when needed; /readyz reports the database meanwhile.
	pool.on('error', () => {});
	return new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins });
}

export function dialectOf(db: Executor): 'sqlite' | 'postgres' {
	return db.getExecutor().adapter.constructor.name === 'PostgresAdapter' ? 'postgres' : 'sqlite';
}
