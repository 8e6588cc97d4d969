// The database refusing writes for a while (found by the fault suite, faults/database.faults.ts):
// another process locking the SQLite file, the disk full. A request that cannot be saved gets a
// 503 with Retry-After and saves nothing; a reply being written keeps going and is saved whole
// once the database takes writes again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlowLlamaServer, type LlamaServer } from '../support/llama-server';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { conversation, newConversation, send, settledReply } from '../support/chat';
import { holdSqlite } from '../support/sqlite-lock';

describe('a database that cannot write for a while', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let alice: ApiClient;
	let flagDir: string;
	let diskFull: string;

	beforeAll(async () => {
		flagDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-disk-full-'));
		diskFull = path.join(flagDir, 'full');
		llama = await startSlowLlamaServer({ parallel: 2 });
		hearth = await startHearth({ LLAMA_URL: llama.url, HEARTH_TEST_DISK_FULL_FLAG: diskFull });
		addUser(hearth, 'alice', 'alice-password');
		alice = await signIn(hearth, 'alice', 'alice-password');
	}, 120_000);
	afterAll(async () => {
		await hearth?.stop();
		await llama?.stop();
		fs.rmSync(flagDir, { recursive: true, force: true });
	});

	const sendText = (id: number, content: string) =>
		alice.call('POST', `/api/conversations/${id}/messages`, { content, maxTokens: 8 });

	it('answers 503 database_busy with Retry-After while another process locks the file, and stores nothing', async () => {
		const id = await newConversation(alice);
		const lock = await holdSqlite(path.join(hearth.dataDir, 'hearth.db'), 'exclusive');
		let res: Response;
		try {
			res = await sendText(id, 'sent while the file is locked');
			// Reads still work meanwhile (WAL).
			expect((await alice.call('GET', `/api/conversations/${id}`)).status).toBe(200);
		} finally {
			await lock.release();
		}
		expect(res.status).toBe(503);
		expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
		expect(((await res.json()) as { error: { code: string } }).error.code).toBe('database_busy');
		expect((await conversation(alice, id)).messages).toEqual([]);
		// Once the lock is gone, the same send is taken.
		expect((await sendText(id, 'sent after the lock')).status).toBe(202);
	}, 60_000);

	it('answers 503 storage_full while the disk is full, and stores nothing', async () => {
		const id = await newConversation(alice);
		fs.writeFileSync(diskFull, '');
		let res: Response;
		try {
			res = await sendText(id, 'sent while the disk is full');
		} finally {
			fs.rmSync(diskFull, { force: true });
		}
		expect(res.status).toBe(503);
		expect(res.headers.get('retry-after')).not.toBeNull();
		expect(((await res.json()) as { error: { code: string } }).error.code).toBe('storage_full');
		expect((await conversation(alice, id)).messages).toEqual([]);
	});

	it('a reply written while the disk is full is saved whole, done, once space returns', async () => {
		const id = await newConversation(alice);
		const sent = await send(alice, id, 300);
		const events = await alice.events(sent.job.id);
		let streamed = '';
		for await (const event of events) {
			if (event.event === 'delta') {
				streamed = (JSON.parse(event.data) as { text?: string }).text ?? '';
				break;
			}
		}
		// From the first words on, every checkpoint and the final write fail, until the model has
		// written its last token (llama-server idle).
		fs.writeFileSync(diskFull, '');
		try {
			await expect.poll(busy, { timeout: 30_000, interval: 100 }).toBe(false);
		} finally {
			fs.rmSync(diskFull, { force: true });
		}
		const reply = await settledReply(alice, id, sent.reply.id);
		expect(reply.status).toBe('done');
		expect(reply.content.startsWith(streamed)).toBe(true);
		expect(reply.content.length).toBeGreaterThan(streamed.length);
	}, 90_000);

	async function busy(): Promise<boolean> {
		const slots = (await (await fetch(`${llama.url}/slots`)).json()) as {
			is_processing: boolean;
		}[];
		return slots.some((s) => s.is_processing);
	}
});
