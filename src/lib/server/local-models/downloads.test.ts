// Model downloads against a stand-in hub (tests/support/model-hub.ts), on SQLite and PostgreSQL: a redirect like
// the hub's CDN, resume with Range after a dropped connection and after a restart, and every
// refusal (corrupt, not GGUF, wrong size, full disk, plain-http redirect) leaving nothing behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateTestModel } from '../../../../llama/test-model';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import {
	sha256Hex,
	startModelHub,
	type HubFileSpec,
	type ModelHub
} from '../../../../tests/support/model-hub';
import { DownloadRunner, partPath, type StatFs } from '$lib/server/local-models/downloads';
import { findDownload, insertDownload } from '$lib/server/repos/model-downloads';

const log = pino({ level: 'silent' });
const MODEL = Buffer.from(generateTestModel());
const PLENTY: StatFs = async () => ({ bavail: 1e12, bsize: 1 });

let t: TestDatabase;
let userId: number;
let dir: string;
let hub: ModelHub;
const runners: DownloadRunner[] = [];

afterEach(async () => {
	for (const r of runners.splice(0)) await r.stop();
	await hub?.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

async function setup(spec: HubFileSpec, options: { statfs?: StatFs; installed?: string[] } = {}) {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-models-'));
	hub = await startModelHub({ 'test/tiny-GGUF/tiny.gguf': spec });
	return runner(options);
}

function runner(options: { statfs?: StatFs; installed?: string[] } = {}) {
	const r = new DownloadRunner({
		db: t.db,
		log,
		modelsDir: dir,
		hfEndpoint: hub.url,
		recoverAll: true,
		statfs: options.statfs ?? PLENTY,
		resumeDelayMs: 1,
		onInstalled: async (file) => void options.installed?.push(file)
	});
	runners.push(r);
	return r;
}

async function download(r: DownloadRunner) {
	const row = await insertDownload(t.db, {
		user_id: userId,
		repo: 'test/tiny-GGUF',
		file: 'tiny.gguf',
		now: Date.now()
	});
	r.submit(row.id);
	await r.idle();
	return (await findDownload(t.db, row.id))!;
}

const listed = () => fs.readdirSync(dir);

describe.each(DIALECTS)('model downloads (%s)', (dialect) => {
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		userId = (await insertUsers(t.db, 'admin'))[0]!;
	});
	afterAll(() => t.close());

	it('follows the hub redirect, verifies size, SHA-256 and GGUF header, and moves the file in', async () => {
		const installed: string[] = [];
		const r = await setup({ bytes: MODEL }, { installed });
		const row = await download(r);
		expect(row).toMatchObject({ state: 'done', bytes: MODEL.length, total: MODEL.length });
		expect(row.sha256).toBe(sha256Hex(MODEL));
		expect(listed()).toEqual(['tiny.gguf']);
		expect(sha256Hex(fs.readFileSync(path.join(dir, 'tiny.gguf')))).toBe(sha256Hex(MODEL));
		expect(fs.statSync(path.join(dir, 'tiny.gguf')).mode & 0o777).toBe(0o600);
		expect(installed).toEqual(['tiny.gguf']);
		expect(hub.ranges).toEqual([null]);
	});

	it('resumes with Range after a dropped connection', async () => {
		// Each drop comes once the bytes sent are on disk (what a client had not read yet is lost).
		const onDisk = (sent: number) =>
			vi.waitFor(() => expect(fs.statSync(partPath(dir, 'tiny.gguf')).size).toBe(sent));
		const r = await setup({ bytes: MODEL, dropAfter: { bytes: 100_000, times: 2, when: onDisk } });
		const row = await download(r);
		expect(row.state).toBe('done');
		expect(hub.ranges).toEqual([null, 'bytes=100000-', 'bytes=200000-']);
		expect(sha256Hex(fs.readFileSync(path.join(dir, 'tiny.gguf')))).toBe(sha256Hex(MODEL));
	});

	it('resumes after a restart from the partial file', async () => {
		const first = await setup({ bytes: MODEL, stallAfter: 150_000 });
		const row = await insertDownload(t.db, {
			user_id: userId,
			repo: 'test/tiny-GGUF',
			file: 'tiny.gguf',
			now: Date.now()
		});
		first.submit(row.id);
		await vi.waitFor(() => expect(fs.statSync(partPath(dir, 'tiny.gguf')).size).toBe(150_000));
		await first.stop();
		expect((await findDownload(t.db, row.id))!.state).toBe('running');
		hub.files.get('test/tiny-GGUF/tiny.gguf')!.stallAfter = undefined;
		const second = runner();
		await second.start();
		await second.idle();
		expect((await findDownload(t.db, row.id))!.state).toBe('done');
		expect(hub.ranges).toEqual([null, 'bytes=150000-']);
		expect(sha256Hex(fs.readFileSync(path.join(dir, 'tiny.gguf')))).toBe(sha256Hex(MODEL));
	});

	it('refuses a corrupt file (SHA-256 differs) and leaves nothing behind', async () => {
		const corrupt = Buffer.from(MODEL);
		corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 10) ^ 0xff, corrupt.length - 10);
		const r = await setup({ bytes: corrupt, publishedSha256: sha256Hex(MODEL) });
		const row = await download(r);
		expect(row.state).toBe('failed');
		expect(row.error).toMatch(/SHA-256.*corrupt/);
		expect(listed()).toEqual([]);
	});

	it('refuses a file that is not GGUF, even when the hub publishes no hash', async () => {
		const r = await setup({
			bytes: Buffer.from('<html>not a model</html>'),
			publishedSha256: null
		});
		const row = await download(r);
		expect(row.state).toBe('failed');
		expect(row.error).toMatch(/Not a GGUF model file/);
		expect(listed()).toEqual([]);
	});

	it('refuses a file shorter or longer than the size the hub announced', async () => {
		let r = await setup({ bytes: MODEL, publishedSize: MODEL.length + 1000 });
		let row = await download(r);
		expect(row.state).toBe('failed');
		expect(row.error).toMatch(/fewer bytes|announced/);
		expect(listed()).toEqual([]);
		await r.stop();
		await hub.close();
		r = await setup({ bytes: MODEL, publishedSize: MODEL.length - 1000 });
		row = await download(r);
		expect(row.state).toBe('failed');
		expect(row.error).toMatch(/larger than the \d+ bytes the hub announced/);
		expect(listed()).toEqual([]);
	});

	it('checks free disk space before writing anything', async () => {
		const tight: StatFs = async () => ({ bavail: MODEL.length, bsize: 1 });
		const r = await setup({ bytes: MODEL }, { statfs: tight });
		const row = await download(r);
		expect(row.state).toBe('failed');
		expect(row.error).toMatch(/Not enough free disk space/);
		expect(listed()).toEqual([]);
	});

	it('follows no plain-http redirect away from the hub', async () => {
		const r = await setup({ bytes: MODEL, redirectTo: 'http://127.0.0.2:9/cdn/x' });
		const row = await download(r);
		expect(row.state).toBe('failed');
		expect(row.error).toMatch(/not https/);
		expect(hub.ranges).toEqual([]);
	});

	it('cancels a running download and removes its partial file', async () => {
		const r = await setup({ bytes: MODEL, stallAfter: 50_000 });
		const row = await insertDownload(t.db, {
			user_id: userId,
			repo: 'test/tiny-GGUF',
			file: 'tiny.gguf',
			now: Date.now()
		});
		r.submit(row.id);
		await vi.waitFor(() => expect(fs.statSync(partPath(dir, 'tiny.gguf')).size).toBe(50_000));
		expect(await r.cancel(row.id)).toBe(true);
		await r.idle();
		expect((await findDownload(t.db, row.id))!.state).toBe('cancelled');
		expect(listed()).toEqual([]);
	});
});
