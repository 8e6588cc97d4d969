// A fresh, migrated database per suite, for either dialect.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, type Database } from '$lib/server/db/database';
import { migrateToLatest } from '$lib/server/db/migrator';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface TestDatabase {
	db: Database;
	/** PostgreSQL only: where another process (a Hearth server) reaches the same database. */
	url?: string;
	close(): Promise<void>;
}

async function adminQuery(url: string, text: string) {
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		await client.query(text);
	} finally {
		await client.end();
	}
}

export async function freshDatabase(dialect: Dialect): Promise<TestDatabase> {
	if (dialect === 'sqlite') {
		const db = await createDatabase({ kind: 'sqlite', path: ':memory:' });
		const migrated = await migrateToLatest(db);
		if (!migrated.ok) throw new Error(migrated.error);
		return { db, close: () => db.destroy() };
	}
	const adminUrl = inject('postgresUrl');
	const name = `hearth_test_${randomBytes(6).toString('hex')}`;
	await adminQuery(adminUrl, `create database ${name}`);
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	const db = await createDatabase({ kind: 'postgres', url: url.href });
	const migrated = await migrateToLatest(db);
	if (!migrated.ok) throw new Error(migrated.error);
	return {
		db,
		url: url.href,
		async close() {
			await db.destroy();
			await adminQuery(adminUrl, `drop database if exists ${name}`);
		}
	};
}

/** Inserts plain users (no password anyone can use) and returns their ids, in order. */
export async function insertUsers(db: Database, ...usernames: string[]): Promise<number[]> {
	const ids: number[] = [];
	for (const username of usernames) {
		const row = await db
			.insertInto('user')
			.values({ username, password_hash: 'x', role: 'user', created_at: 0, updated_at: 0 })
			.returning('id')
			.executeTakeFirstOrThrow();
		ids.push(row.id);
	}
	return ids;
}
