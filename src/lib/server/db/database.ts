// Opens the Kysely instance for the configured dialect: SQLite (WAL, foreign keys, busy timeout)
// by default, PostgreSQL when DATABASE_URL says postgres://.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import type { DatabaseConfig } from '$lib/server/config';
import type { DB } from '$lib/server/db/schema';

export type Database = Kysely<DB>;
export type Executor = Kysely<DB> | Transaction<DB>;

export const SQLITE_BUSY_TIMEOUT_MS = 5_000;
const PG_POOL_MAX = 10;
/** SQLite's page cache (KiB; the default is 2 MB): search over a large history re-reads less. */
const SQLITE_CACHE_KIB = 32 * 1024;
const PG_INT8_OID = 20;

export function openSqlite(file: string): SQLite.Database {
	if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
	const sqlite = new SQLite(file);
	sqlite.pragma('journal_mode = WAL');
	sqlite.pragma('synchronous = NORMAL');
	sqlite.pragma('foreign_keys = ON');
	sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
	sqlite.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
	return sqlite;
}

/** `pg` is imported only for PostgreSQL, so a SQLite install does not carry it in memory. */
export async function createDatabase(config: DatabaseConfig): Promise<Database> {
	if (config.kind === 'sqlite') {
		return new Kysely<DB>({ dialect: new SqliteDialect({ database: openSqlite(config.path) }) });
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
	return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

export function dialectOf(db: Executor): 'sqlite' | 'postgres' {
	return db.getExecutor().adapter.constructor.name === 'PostgresAdapter' ? 'postgres' : 'sqlite';
}
