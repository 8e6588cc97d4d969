// Running Hearth: Prometheus metrics after a real reply, and a backup taken while replies are
// being written, restored into a fresh data folder and served again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlowLlamaServer, type LlamaServer } from '../support/llama-server';
import {
	addUser,
	runCli,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { conversation, newConversation, send, settledReply, TERMINAL } from '../support/chat';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

describe('operations', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let client: ApiClient;

	beforeAll(async () => {
		llama = await startSlowLlamaServer({ parallel: 4 });
		hearth = await startHearth({ LLAMA_URL: llama.url, METRICS_TOKEN });
		addUser(hearth, 'olga', 'olga-password');
		client = await signIn(hearth, 'olga', 'olga-password');
	}, 120_000);
	afterAll(async () => {
		await hearth?.stop();
		await llama?.stop();
	});

	it('/metrics needs the bearer token and shows HTTP, job, token and provider figures after a real reply', async () => {
		const id = await newConversation(client);
		const sent = await send(client, id, 16);
		expect((await settledReply(client, id, sent.reply.id)).status).toBe('done');

		for (const authorization of [undefined, 'Bearer wrong-token-wrong-token-00', METRICS_TOKEN]) {
			const res = await fetch(`${hearth.url}/metrics`, {
				headers: authorization ? { authorization } : {}
			});
			expect(res.status).toBe(401);
			expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
			expect(await res.text()).not.toMatch(/hearth_/);
		}
		// A session cookie is no substitute for the token.
		expect((await client.call('GET', '/metrics')).status).toBe(401);

		const res = await fetch(`${hearth.url}/metrics`, {
			headers: { authorization: `Bearer ${METRICS_TOKEN}` }
		});
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
		const body = await res.text();
		const series = [
			/^hearth_http_requests_total\{route="\/api\/conversations\/\[id\]\/messages",method="POST",status="202"\} 1$/m,
			/^hearth_http_request_duration_seconds_bucket\{le="[^"]+",route="\/api\/conversations",method="POST",status="201"\} \d+$/m,
			/^hearth_jobs\{state="done"\} 1$/m,
			/^hearth_jobs\{state="queued"\} 0$/m,
			/^hearth_job_queue_depth 0$/m,
			/^hearth_time_to_first_token_seconds_count\{provider="llama",model="hearth-test"\} 1$/m,
			/^hearth_generation_duration_seconds_count\{provider="llama",model="hearth-test",state="done"\} 1$/m,
			/^hearth_tokens_generated_total\{provider="llama",model="hearth-test"\} 16$/m,
			/^hearth_jobs_finished_total\{provider="llama",state="done"\} 1$/m,
			/^hearth_provider_up\{provider="llama",kind="llamacpp"\} 1$/m,
			/^hearth_database_up 1$/m,
			/^process_resident_memory_bytes \d+/m,
			/^process_cpu_seconds_total \d/m
		];
		for (const line of series) expect(body).toMatch(line);
		// Nothing of the conversation or the user leaks into labels.
		expect(body).not.toMatch(/olga|hearth\.|Tell me/);
	});

	it('a backup taken while replies stream restores into a fresh data folder with everything in it', async () => {
		const ids = await Promise.all([0, 1, 2].map(() => newConversation(client)));
		const sends = [];
		for (const id of ids) sends.push(await send(client, id, 400));
		// Wait until the replies are really being written, then back up mid-stream.
		await expect
			.poll(async () => (await conversation(client, ids[0]!)).messages[1]?.status, {
				timeout: 20_000,
				interval: 50
			})
			.toBe('streaming');
		const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-backup-'));
		const backupFile = path.join(backupDir, 'hearth.db');
		expect(runCli(hearth.dataDir, ['backup', backupFile])).toMatchObject({ code: 0 });
		const finals = await Promise.all(
			sends.map((s, i) => settledReply(client, ids[i]!, s.reply.id, 60_000))
		);
		expect(finals.map((m) => m.status)).toEqual(['done', 'done', 'done']);

		// Restore: a fresh folder, the database from the backup and the secret key kept aside.
		const restoredDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-restored-'));
		expect(runCli(restoredDir, ['restore', backupFile])).toMatchObject({ code: 0 });
		fs.copyFileSync(path.join(hearth.dataDir, 'secret.key'), path.join(restoredDir, 'secret.key'));
		const restored = await startHearth({ LLAMA_URL: llama.url }, restoredDir);
		try {
			const again = await signIn(restored, 'olga', 'olga-password');
			const list = await again.json<{ conversations: { id: number }[] }>(
				'GET',
				'/api/conversations'
			);
			for (const id of ids) expect(list.body.conversations.map((c) => c.id)).toContain(id);
			for (const [i, id] of ids.entries()) {
				const conv = await conversation(again, id);
				expect(conv.messages[0]).toMatchObject({
					role: 'user',
					content: 'Tell me about the hearth.'
				});
				// The reply was mid-stream in the snapshot: the restored server ends it once, keeping
				// the text it had (interrupted), or runs it again if nothing had been written yet.
				const reply = await settledReply(again, id, sends[i]!.reply.id, 60_000);
				expect(TERMINAL).toContain(reply.status);
				expect(['interrupted', 'done']).toContain(reply.status);
			}
			expect(list.body.conversations).toHaveLength(4);
			// Metrics are off without a token.
			expect((await fetch(`${restored.url}/metrics`)).status).toBe(404);
		} finally {
			await restored.stop();
			fs.rmSync(backupDir, { recursive: true, force: true });
		}
	}, 180_000);
});
