import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from '$lib/server/db/errors';
import { DiskFullError } from '$lib/server/db/fault-injection';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('databaseUnavailable', () => {
	it('names what a client can retry: busy, full, restarting', () => {
		expect(databaseUnavailable(coded('SQLITE_BUSY'))?.code).toBe('database_busy');
		expect(databaseUnavailable(coded('SQLITE_FULL'))?.code).toBe('storage_full');
		expect(databaseUnavailable(new DiskFullError())?.code).toBe('storage_full');
		expect(databaseUnavailable(coded('53100'))?.code).toBe('storage_full');
		expect(databaseUnavailable(coded('57P01'))?.code).toBe('database_unavailable');
		expect(databaseUnavailable(coded('ECONNREFUSED'))?.code).toBe('database_unavailable');
		expect(databaseUnavailable(new Error('Connection terminated unexpectedly'))?.code).toBe(
			'database_unavailable'
		);
		expect(databaseUnavailable(coded('SQLITE_BUSY'))?.retryAfterSeconds).toBeGreaterThan(0);
	});

	it('leaves every other error a 500', () => {
		expect(databaseUnavailable(coded('SQLITE_CONSTRAINT_UNIQUE'))).toBeNull();
		expect(databaseUnavailable(coded('23505'))).toBeNull();
		expect(databaseUnavailable(new TypeError('x is undefined'))).toBeNull();
		expect(databaseUnavailable('text')).toBeNull();
	});
});
