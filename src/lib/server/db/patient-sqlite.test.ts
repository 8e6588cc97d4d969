// Another process's lock on the SQLite file: the server's writes wait for it without blocking
// the event loop (found by faults/database.faults.ts: a 10 s lock froze the server 5 s per write).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '$lib/server/db/database';
import { migrateToLatest } from '$lib/server/db/migrator';
import { databaseUnavailable } from '$lib/server/db/errors';
import { reusingStatements } from '$lib/server/db/patient-sqlite';

describe('SQLite writes under another connection’s lock', () => {
	let dir: string;
	let file: string;
	let db: Database;
	let other: SQLite.Database;

	beforeEach(async () => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-patient-'));
		file = path.join(dir, 'hearth.db');
		db = await createDatabase({ kind: 'sqlite', path: file });
		const migrated = await migrateToLatest(db);
		if (!migrated.ok) throw new Error(migrated.error);
		other = new SQLite(file);
	});
	afterEach(async () => {
		if (other.inTransaction) other.exec('COMMIT');
		other.close();
		await db.destroy();
		fs.rmSync(dir, { recursive: true, force: true });
	});

	const insertUser = (username: string) =>
		db
			.insertInto('user')
			.values({ username, password_hash: 'x', role: 'user', created_at: 0, updated_at: 0 })
			.execute();

	it('waits for a lock released by a timer: the event loop runs while it waits', async () => {
		other.exec('BEGIN EXCLUSIVE');
		let ticks = 0;
		const ticker = setInterval(() => ticks++, 10);
		// Only a running event loop can release it; a write blocked inside SQLite never would.
		setTimeout(() => other.exec('COMMIT'), 300);
		await insertUser('patient');
		clearInterval(ticker);
		expect(ticks).toBeGreaterThan(0);
		const row = await db
			.selectFrom('user')
			.select('username')
			.where('username', '=', 'patient')
			.executeTakeFirst();
		expect(row?.username).toBe('patient');
	});

	it('reads go on while another connection holds the write lock (WAL)', async () => {
		other.exec('BEGIN EXCLUSIVE');
		const rows = await db.selectFrom('user').select('id').execute();
		expect(rows).toEqual([]);
	});

	it('a transaction waits too, and nothing of it is written when the lock outlasts the wait', async () => {
		other.exec('BEGIN EXCLUSIVE');
		const attempt = db.transaction().execute(async (trx) => {
			await trx
				.insertInto('user')
				.values({
					username: 'half',
					password_hash: 'x',
					role: 'user',
					created_at: 0,
					updated_at: 0
				})
				.execute();
		});
		const error = await attempt.then(
			() => null,
			(e: unknown) => e
		);
		expect(databaseUnavailable(error)?.code).toBe('database_busy');
		other.exec('COMMIT');
		expect(await db.selectFrom('user').select('id').execute()).toEqual([]);
	}, 20_000);

	it('during a long lock the writes queued behind the first do not each wait it out again', async () => {
		other.exec('BEGIN EXCLUSIVE');
		const settled: string[] = [];
		const writes = ['first', 'second', 'third'].map((name) =>
			insertUser(name).then(
				() => settled.push(`${name} saved`),
				(e: unknown) => settled.push(`${name} ${databaseUnavailable(e)?.code}`)
			)
		);
		await writes[0];
		// A read meanwhile goes through (WAL) and says nothing about the lock.
		expect(await db.selectFrom('user').select('id').execute()).toEqual([]);
		// The first waited the whole time; the next ones, queued behind it, are refused at once,
		// before a lock released by a timer could let them through.
		const release = setTimeout(() => other.exec('COMMIT'), 2_000);
		await Promise.all(writes);
		clearTimeout(release);
		if (other.inTransaction) other.exec('COMMIT');
		expect(settled).toEqual(['first database_busy', 'second database_busy', 'third database_busy']);
		// A write that gets through ends the lock's count: the next lock is waited for again.
		await insertUser('after');
		other.exec('BEGIN EXCLUSIVE');
		setTimeout(() => other.exec('COMMIT'), 300);
		await insertUser('waited');
		expect((await db.selectFrom('user').select('username').execute()).length).toBe(2);
	}, 20_000);
});

describe('reusingStatements', () => {
	it('prepares a statement once per SQL text, and never shares one that is busy', () => {
		const sqlite = new SQLite(':memory:');
		let prepared = 0;
		const counting = {
			close: () => sqlite.close(),
			prepare: (sql: string) => (prepared++, sqlite.prepare(sql))
		};
		const db = reusingStatements(counting, 2);
		db.prepare('CREATE TABLE t (x INTEGER)').run([]);
		const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
		insert.run([1]);
		expect(db.prepare('INSERT INTO t (x) VALUES (?)')).toBe(insert);
		db.prepare('INSERT INTO t (x) VALUES (?)').run([2]);
		expect(prepared).toBe(2);
		// An open iterator keeps its statement busy: the same SQL meanwhile gets its own.
		const select = db.prepare('SELECT x FROM t ORDER BY x') as unknown as SQLite.Statement;
		const rows = select.iterate();
		rows.next();
		expect(db.prepare('SELECT x FROM t ORDER BY x').all([])).toEqual([{ x: 1 }, { x: 2 }]);
		rows.return?.();
		expect(prepared).toBe(4);
		// Past `max` entries the least recently used is prepared again.
		db.prepare('SELECT 1').all([]);
		db.prepare('INSERT INTO t (x) VALUES (?)');
		expect(prepared).toBe(6);
		db.close();
	});
});
