/** True for a unique-constraint violation on either dialect (SQLite or PostgreSQL 23505). */
export function isUniqueViolation(error: unknown): boolean {
	if (typeof error !== 'object' || error === null || !('code' in error)) return false;
	const code = (error as { code: unknown }).code;
	return (
		code === '23505' ||
		code === 'SQLITE_CONSTRAINT_UNIQUE' ||
		code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
	);
}

/** Why the database cannot take a request right now, as the API says it (503 + Retry-After). */
export interface DatabaseUnavailable {
	code: 'database_busy' | 'storage_full' | 'database_unavailable';
	message: string;
	retryAfterSeconds: number;
}

const SQLITE_BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']);
const SQLITE_FULL_CODES = new Set(['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC']);
/** PostgreSQL shutting down or starting (57P01-57P03), the connection gone (08xxx), the socket. */
const PG_GONE_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
const PG_GONE_MESSAGE =
	/Connection terminated|connection timeout|Client has encountered a connection error/i;

const BUSY_RETRY_AFTER_S = 5;
const FULL_RETRY_AFTER_S = 30;

/**
 * A failure of the database itself (locked by another process, disk full, PostgreSQL restarting):
 * the request did nothing (each write is one transaction) and can be retried later. Null for
 * anything else, which stays a 500.
 */
export function databaseUnavailable(error: unknown): DatabaseUnavailable | null {
	if (typeof error !== 'object' || error === null) return null;
	const code = 'code' in error ? String((error as { code: unknown }).code) : '';
	const message = error instanceof Error ? error.message : '';
	if (SQLITE_BUSY_CODES.has(code))
		return {
			code: 'database_busy',
			message: 'The database is busy; nothing was saved. Try again in a few seconds.',
			retryAfterSeconds: BUSY_RETRY_AFTER_S
		};
	if (SQLITE_FULL_CODES.has(code) || code === '53100' || code === 'ENOSPC')
		return {
			code: 'storage_full',
			message: 'The server is out of disk space; nothing was saved. Try again later.',
			retryAfterSeconds: FULL_RETRY_AFTER_S
		};
	if (PG_GONE_CODES.has(code) || code.startsWith('08') || PG_GONE_MESSAGE.test(message))
		return {
			code: 'database_unavailable',
			message: 'The database is not reachable; nothing was saved. Try again in a few seconds.',
			retryAfterSeconds: BUSY_RETRY_AFTER_S
		};
	return null;
}
