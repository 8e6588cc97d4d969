import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '$lib/server/config';
import { openSqlite } from '$lib/server/db/database';
import { ensurePrivateDir } from '$lib/server/private-files';
import { loadSecretKey, SECRET_KEY_FILE } from '$lib/server/secret';

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe('files Hearth writes are private', () => {
	let root: string;
	let umask: number;

	beforeEach(() => {
		// The usual umask, which leaves new files world-readable (0644) unless Hearth says otherwise.
		umask = process.umask(0o022);
		root = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-modes-'));
	});
	afterEach(() => {
		process.umask(umask);
		fs.rmSync(root, { recursive: true, force: true });
	});

	it('a fresh data folder is 0700; the database, its WAL and SHM, and the key file are 0600', () => {
		const dataDir = path.join(root, 'data');
		ensurePrivateDir(dataDir);
		const file = path.join(dataDir, 'hearth.db');
		const sqlite = openSqlite(file);
		sqlite.exec('create table t (x); insert into t values (1)');
		const config = loadConfig({ DATA_DIR: dataDir });
		if (!config.ok) throw new Error(config.problem);
		loadSecretKey(config.config);

		expect(modeOf(dataDir)).toBe(0o700);
		for (const name of ['hearth.db', 'hearth.db-wal', 'hearth.db-shm', SECRET_KEY_FILE])
			expect(modeOf(path.join(dataDir, name)), name).toBe(0o600);
		sqlite.close();
	});

	it('an older install with 0755/0644 modes is tightened at start', () => {
		const dataDir = path.join(root, 'old');
		fs.mkdirSync(dataDir, { mode: 0o755 });
		const file = path.join(dataDir, 'hearth.db');
		const old = openSqlite(file);
		old.exec('create table t (x); insert into t values (1)');
		for (const suffix of ['', '-wal', '-shm']) fs.chmodSync(file + suffix, 0o644);
		fs.chmodSync(dataDir, 0o755);

		ensurePrivateDir(dataDir);
		const reopened = openSqlite(file);
		expect(modeOf(dataDir)).toBe(0o700);
		for (const suffix of ['', '-wal', '-shm']) expect(modeOf(file + suffix), suffix).toBe(0o600);
		reopened.close();
		old.close();
	});

	it('a database in a folder of its own (DATABASE_URL) gets a 0700 folder when Hearth makes it', () => {
		const file = path.join(root, 'elsewhere', 'deep', 'hearth.db');
		openSqlite(file).close();
		expect(modeOf(path.dirname(file))).toBe(0o700);
		expect(modeOf(path.join(root, 'elsewhere'))).toBe(0o700);
		expect(modeOf(file)).toBe(0o600);
	});
});
