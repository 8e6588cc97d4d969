// better-sqlite3 is synchronous: with a busy_timeout, a statement that meets another process's
// lock (a `hearth` CLI command, a backup tool, `sqlite3` on the file) waits inside SQLite and the
// whole server — every stream, every request — stops with it. Here SQLite waits only a moment;
// a busy statement is tried again after an asynchronous pause, so the event loop keeps running,
// until the same total wait as before; then SQLITE_BUSY goes up (a 503 with Retry-After).
// Kysely's one SQLite connection is held meanwhile: other queries queue behind it, without
// blocking anything else.
import {
	SqliteDialect,
	type SqliteDatabase,
	type SqliteStatement,
	type CompiledQuery,
	type QueryCompiler,
	type DatabaseConnection,
	type Driver,
	type QueryResult,
	type TransactionSettings
} from 'kysely';

export interface BusyWait {
	/** How long SQLite itself may block on a lock (its busy_timeout), per try. */
	syncMs: number;
	/** The total wait for a lock before a statement fails with SQLITE_BUSY. */
	totalMs: number;
	/** The longest pause between tries. */
	maxPauseMs: number;
}

const WRITES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode']);

const isBusy = (error: unknown) =>
	typeof error === 'object' &&
	error !== null &&
	'code' in error &&
	(error as { code: unknown }).code === 'SQLITE_BUSY';

class PatientConnection implements DatabaseConnection {
	/**
	 * Since when the file has been locked, as far as this connection knows (null: a write got
	 * through since). The wait is counted from there, not per statement: the one connection serves
	 * every query in turn, so during a long lock the statements queued behind the first do not
	 * each wait the whole time again — past it they are tried once and fail (a 503 at once).
	 */
	private busySince: number | null = null;

	constructor(
		private readonly inner: DatabaseConnection,
		private readonly wait: BusyWait
	) {}

	async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
		for (let pause = 5; ; pause = Math.min(pause * 2, this.wait.maxPauseMs)) {
			try {
				const result = await this.inner.executeQuery<R>(query);
				// Reads go on under another process's write lock (WAL): only a write shows it is gone.
				if (WRITES.has(query.query.kind)) this.busySince = null;
				return result;
			} catch (error) {
				if (!isBusy(error)) throw error;
				this.busySince ??= Date.now();
				if (Date.now() - this.busySince + pause > this.wait.totalMs) throw error;
				await new Promise((resolve) => setTimeout(resolve, pause));
			}
		}
	}

	streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
		return this.inner.streamQuery<R>(query, chunkSize);
	}
}

class PatientDriver implements Driver {
	private connection: PatientConnection | null = null;

	constructor(
		private readonly inner: Driver,
		private readonly wait: BusyWait
	) {}

	init() {
		return this.inner.init();
	}

	async acquireConnection(): Promise<DatabaseConnection> {
		const inner = await this.inner.acquireConnection();
		// SQLite has one connection: wrap it once.
		this.connection ??= new PatientConnection(inner, this.wait);
		return this.connection;
	}

	beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
		return this.inner.beginTransaction(connection, settings);
	}

	commitTransaction(connection: DatabaseConnection) {
		return this.inner.commitTransaction(connection);
	}

	rollbackTransaction(connection: DatabaseConnection) {
		return this.inner.rollbackTransaction(connection);
	}

	async savepoint(
		connection: DatabaseConnection,
		name: string,
		compile: QueryCompiler['compileQuery']
	) {
		await this.inner.savepoint?.(connection, name, compile);
	}

	async rollbackToSavepoint(
		connection: DatabaseConnection,
		name: string,
		compile: QueryCompiler['compileQuery']
	) {
		await this.inner.rollbackToSavepoint?.(connection, name, compile);
	}

	async releaseSavepoint(
		connection: DatabaseConnection,
		name: string,
		compile: QueryCompiler['compileQuery']
	) {
		await this.inner.releaseSavepoint?.(connection, name, compile);
	}

	releaseConnection(connection: DatabaseConnection) {
		return this.inner.releaseConnection(connection);
	}

	destroy() {
		return this.inner.destroy();
	}
}

/** Prepared statements kept per SQL text (Kysely prepares each query anew; a reply's path runs
 * the same few dozen statements every time). */
const STATEMENT_CACHE_ENTRIES = 256;

/**
 * `database` with its prepared statements reused by SQL text (least recently used dropped past
 * `max`). A statement still busy (an open iterator) is not shared: that call prepares its own.
 */
export function reusingStatements(
	database: SqliteDatabase,
	max = STATEMENT_CACHE_ENTRIES
): SqliteDatabase {
	const cache = new Map<string, SqliteStatement & { busy?: boolean }>();
	return {
		close: () => {
			cache.clear();
			database.close();
		},
		prepare(sql) {
			const known = cache.get(sql);
			if (known && !known.busy) {
				cache.delete(sql);
				cache.set(sql, known);
				return known;
			}
			const statement = database.prepare(sql);
			if (!known) {
				cache.set(sql, statement);
				if (cache.size > max) cache.delete(cache.keys().next().value!);
			}
			return statement;
		}
	};
}

/** Kysely's SQLite dialect, waiting for another process's lock without blocking the event loop. */
export class PatientSqliteDialect extends SqliteDialect {
	constructor(
		config: ConstructorParameters<typeof SqliteDialect>[0],
		private readonly wait: BusyWait
	) {
		super(config);
	}

	override createDriver(): Driver {
		return new PatientDriver(super.createDriver(), this.wait);
	}
}
