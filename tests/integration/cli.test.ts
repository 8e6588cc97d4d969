// The `hearth` CLI as a user runs it: the built bin against a temporary DATA_DIR.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle, SIGN_INS_PER_ACCOUNT } from '$lib/server/auth/login-throttle';
import { createDatabase } from '$lib/server/db/database';

/** Every migration in the repository is applied to a fresh database. */
const MIGRATION_COUNT = fs
	.readdirSync(path.resolve('migrations'))
	.filter((f) => f.endsWith('.ts')).length;

const BIN = path.resolve('bin/hearth.js');
let dataDir: string;

function hearth(args: string[], input?: string, env: Record<string, string> = {}) {
	const result = spawnSync(process.execPath, [BIN, ...args], {
		input,
		encoding: 'utf8',
		env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn', ...env }
	});
	return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('hearth CLI', () => {
	beforeAll(() => {
		if (!fs.existsSync('build/cli/main.js'))
			throw new Error('run `npm run build` before this suite');
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-cli-'));
	});
	afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

	it('prints usage with exit 2 when called without a command', () => {
		const r = hearth([]);
		expect(r.code).toBe(2);
		expect(r.out).toMatch(/Usage: hearth <command>/);
		expect(hearth(['frobnicate']).code).toBe(2);
	});

	it('migrates, then reports up to date', () => {
		expect(hearth(['migrate'])).toMatchObject({
			code: 0,
			out: expect.stringContaining(`Applied ${MIGRATION_COUNT} migration`)
		});
		expect(hearth(['migrate'])).toMatchObject({
			code: 0,
			out: expect.stringMatching(/up to date/)
		});
	});

	it('manages users with clear errors and exit codes', () => {
		expect(
			hearth(['user', 'add', 'Root', '--admin', '--password-stdin'], 'hunter22hunter\n')
		).toMatchObject({
			code: 0,
			out: 'Created admin root\n'
		});
		expect(hearth(['user', 'add', 'root', '--password-stdin'], 'hunter22hunter')).toMatchObject({
			code: 1,
			err: expect.stringMatching(/taken/)
		});
		expect(hearth(['user', 'add', 'kim', '--password-stdin'], 'short')).toMatchObject({
			code: 1,
			err: expect.stringMatching(/at least 8/)
		});
		expect(hearth(['user', 'add', 'kim'])).toMatchObject({
			code: 2,
			err: expect.stringMatching(/--password-stdin/)
		});
		expect(hearth(['user', 'add', 'kim', '--sudo'])).toMatchObject({
			code: 2,
			err: expect.stringMatching(/unknown option/)
		});
		expect(hearth(['user', 'add', 'kim', '--password-stdin'], 'kimkimkim1')).toMatchObject({
			code: 0
		});
		expect(hearth(['user', 'passwd', 'kim', '--password-stdin'], 'kimkimkim2')).toMatchObject({
			code: 0
		});
		expect(hearth(['user', 'passwd', 'nobody', '--password-stdin'], 'kimkimkim2')).toMatchObject({
			code: 1
		});
		const list = hearth(['user', 'list']);
		expect(list.code).toBe(0);
		expect(list.out).toMatch(/^kim\s+user /m);
		expect(list.out).toMatch(/^root\s+admin /m);
		expect(hearth(['user', 'remove', 'root'])).toMatchObject({
			code: 1,
			err: expect.stringMatching(/last admin/)
		});
		expect(hearth(['user', 'remove', 'kim'])).toMatchObject({ code: 0 });
		expect(hearth(['user', 'list']).out).not.toMatch(/kim/);
	});

	it('unlocks an account that failed sign-ins locked', async () => {
		const db = await createDatabase({ kind: 'sqlite', path: path.join(dataDir, 'hearth.db') });
		try {
			const throttle = new LoginThrottle(db);
			for (let i = 0; i < SIGN_INS_PER_ACCOUNT.limit; i++) {
				expect((await throttle.reserveSignIn('root', `203.0.113.${i}`)).ok).toBe(true);
			}
			expect((await throttle.reserveSignIn('root', '192.0.2.1')).ok).toBe(false);
			expect(hearth(['user', 'unlock', 'ROOT'])).toMatchObject({
				code: 0,
				out: expect.stringMatching(/^Unlocked/)
			});
			expect((await throttle.reserveSignIn('root', '192.0.2.1')).ok).toBe(true);
		} finally {
			await db.destroy();
		}
		expect(hearth(['user', 'unlock', 'nobody'])).toMatchObject({
			code: 1,
			err: expect.stringMatching(/No user named "nobody"/)
		});
		expect(hearth(['user', 'unlock'])).toMatchObject({ code: 2 });
	});

	it("resets a user's two-factor sign-in and switches the requirement", async () => {
		const db = await createDatabase({ kind: 'sqlite', path: path.join(dataDir, 'hearth.db') });
		try {
			const root = await db
				.selectFrom('user')
				.select('id')
				.where('username', '=', 'root')
				.executeTakeFirstOrThrow();
			await db
				.insertInto('totp_credential')
				.values({ user_id: root.id, secret_sealed: 'v1.x.y', created_at: 1, confirmed_at: 2 })
				.execute();
			await db.insertInto('recovery_code').values({ user_id: root.id, code_hash: 'h' }).execute();
			expect(hearth(['user', 'reset-2fa', 'Root'])).toMatchObject({
				code: 0,
				out: expect.stringMatching(/^Two-factor sign-in turned off for root/)
			});
			expect(await db.selectFrom('totp_credential').selectAll().execute()).toEqual([]);
			expect(await db.selectFrom('recovery_code').selectAll().execute()).toEqual([]);
			expect(hearth(['user', 'reset-2fa', 'root']).out).toMatch(/nothing to reset/);
			expect(hearth(['user', 'reset-2fa', 'nobody'])).toMatchObject({ code: 1 });
			expect(hearth(['user', 'require-2fa', 'on'])).toMatchObject({ code: 0 });
			const setting = () =>
				db
					.selectFrom('app_setting')
					.select('value')
					.where('key', '=', 'require_two_factor')
					.executeTakeFirst();
			expect(await setting()).toEqual({ value: 'true' });
			expect(hearth(['user', 'require-2fa', 'off'])).toMatchObject({ code: 0 });
			expect(await setting()).toEqual({ value: 'false' });
			expect(hearth(['user', 'require-2fa', 'maybe'])).toMatchObject({ code: 2 });
		} finally {
			await db.destroy();
		}
	});

	it('takes a consistent backup that opens as a database, and never overwrites', () => {
		const target = path.join(dataDir, 'backup.db');
		expect(hearth(['backup', target])).toMatchObject({ code: 0 });
		const copy = new SQLite(target, { readonly: true });
		expect(copy.prepare('select username from user').all()).toEqual([{ username: 'root' }]);
		expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
		copy.close();
		expect((fs.statSync(target).mode & 0o777).toString(8)).toBe('600');
		expect(hearth(['backup', target])).toMatchObject({
			code: 1,
			err: expect.stringMatching(/already exists/)
		});
		expect(hearth(['backup'])).toMatchObject({ code: 2 });
		expect(
			hearth(['backup', path.join(dataDir, 'b2.db')], undefined, {
				DATABASE_URL: 'postgres://x@127.0.0.1/x'
			})
		).toMatchObject({
			code: 1,
			err: expect.stringMatching(/pg_dump/)
		});
	});

	it('restores only an intact Hearth backup, and replaces a database only with --force', () => {
		const backup = path.join(dataDir, 'restore-source.db');
		expect(hearth(['backup', backup])).toMatchObject({ code: 0 });
		const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-restore-'));
		const env = { DATA_DIR: fresh };
		expect(hearth(['restore', backup], undefined, env)).toMatchObject({ code: 0 });
		expect(hearth(['user', 'list'], undefined, env).out).toMatch(/^root\s+admin /m);
		expect(hearth(['restore', backup], undefined, env)).toMatchObject({
			code: 1,
			err: expect.stringMatching(/--force/)
		});
		expect(hearth(['restore', backup, '--force'], undefined, env)).toMatchObject({ code: 0 });
		const junk = path.join(fresh, 'junk.db');
		fs.writeFileSync(junk, 'not a database at all, just some text');
		expect(hearth(['restore', junk, '--force'], undefined, env)).toMatchObject({
			code: 1,
			err: expect.stringMatching(/not a SQLite database|cannot open|damaged/)
		});
		const foreign = path.join(fresh, 'foreign.db');
		new SQLite(foreign).exec('create table t (x)');
		expect(hearth(['restore', foreign, '--force'], undefined, env)).toMatchObject({
			code: 1,
			err: expect.stringMatching(/not a Hearth database/)
		});
		expect(hearth(['restore', path.join(fresh, 'missing.db')], undefined, env)).toMatchObject({
			code: 1,
			err: expect.stringMatching(/does not exist/)
		});
		expect(hearth(['restore'], undefined, env)).toMatchObject({ code: 2 });
		expect(hearth(['user', 'list'], undefined, env).out).toMatch(/^root\s+admin /m);
		fs.rmSync(fresh, { recursive: true, force: true });
	});

	it('stops with one line naming a bad variable', () => {
		const r = hearth(['user', 'list'], undefined, { LLAMA_URL: 'gopher://x' });
		expect(r.code).toBe(78);
		expect(r.err.trim().split('\n')).toEqual([
			expect.stringMatching(/^hearth: invalid configuration: LLAMA_URL /)
		]);
	});
});
