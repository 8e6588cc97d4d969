// Local models end to end: a real llama-server in router mode over a folder with two generated
// models, the built Hearth sharing that folder, and a stand-in hub. Both models listed, a chat
// with each (loaded on demand, with a "loading model" status first), unload, the default model for
// new chats, a download that lands in the router's list, delete, and bad input refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestModel } from '../../llama/test-model';
import { startLlamaServer, type LlamaServer } from '../support/llama-server';
import { startModelHub, type ModelHub } from '../support/model-hub';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { newConversation, send, settledReply } from '../support/chat';
import { buildProvider } from '$lib/server/llm/registry';
import type { ChatEvent } from '$lib/server/llm/types';
import { parseSse } from '$lib/client/sse';
import type { LocalModelsDto, ModelDownloadDto } from '$lib/shared/local-models';

let dir: string;
let llama: LlamaServer;
let hub: ModelHub;
let hearth: HearthServer;
let admin: ApiClient;
let user: ApiClient;

const BASE = '/api/admin/local-models';
const list = async () => (await admin.json<LocalModelsDto>('GET', BASE)).body;
const stateOf = async (name: string) => (await list()).models.find((m) => m.name === name)?.state;

beforeAll(async () => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-router-'));
	fs.writeFileSync(path.join(dir, 'alpha.gguf'), generateTestModel({ seed: 1 }));
	fs.writeFileSync(path.join(dir, 'beta.gguf'), generateTestModel({ seed: 2 }));
	llama = await startLlamaServer({ modelsDir: dir, modelsMax: 1 });
	hub = await startModelHub({
		'test/tiny-GGUF/tiny.gguf': { bytes: Buffer.from(generateTestModel({ seed: 3 })) }
	});
	hearth = await startHearth({
		LLAMA_URL: llama.url,
		LLAMA_MODELS_DIR: dir,
		HF_ENDPOINT: hub.url
	});
	addUser(hearth, 'root', 'root-password-123', true);
	addUser(hearth, 'plain', 'plain-password-123');
	admin = await signIn(hearth, 'root', 'root-password-123');
	user = await signIn(hearth, 'plain', 'plain-password-123');
}, 180_000);

afterAll(async () => {
	await hearth?.stop();
	await llama?.stop();
	await hub?.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

describe('local models through llama.cpp router mode', () => {
	it('lists both models with size, quantisation, context and state', async () => {
		const body = await list();
		expect(body).toMatchObject({
			reachable: true,
			router: true,
			folderWritable: true,
			folderShared: true
		});
		expect(body.models.map((m) => m.name)).toEqual(['alpha', 'beta']);
		const alpha = body.models[0]!;
		expect(alpha).toMatchObject({ state: 'unloaded', inFolder: true, quantisation: 'F32' });
		expect(alpha.sizeBytes).toBe(fs.statSync(path.join(dir, 'alpha.gguf')).size);
		expect(alpha.contextLength).toBeGreaterThan(0);
		expect(body.presets.length).toBeGreaterThan(3);
	});

	it('says "loading model" before the first token of a model not in memory', async () => {
		const provider = buildProvider({
			id: 'llama',
			kind: 'llamacpp',
			name: 'llama.cpp',
			baseUrl: llama.url,
			apiKey: null,
			allowInternal: true,
			maxConcurrency: null,
			enabledModels: [],
			source: 'config'
		});
		const events: ChatEvent[] = [];
		const request = {
			model: 'beta',
			messages: [{ role: 'user' as const, content: 'hi' }],
			maxTokens: 4
		};
		for await (const e of provider.streamChat(request, new AbortController().signal))
			events.push(e);
		expect(events.slice(0, 2)).toEqual([
			{ type: 'status', status: 'loading_model' },
			{ type: 'status', status: 'model_loaded' }
		]);
		expect(events.some((e) => e.type === 'text')).toBe(true);
		expect(events.some((e) => e.type === 'error')).toBe(false);
		expect(await stateOf('beta')).toBe('loaded');
	}, 60_000);

	it('answers a chat with each model, loading it on demand (one in memory at a time)', async () => {
		for (const model of ['alpha', 'beta']) {
			const id = await newConversation(admin);
			const sent = await send(admin, id, 8, { model: `llama/${model}` });
			const reply = await settledReply(admin, id, sent.reply.id, 60_000);
			expect(reply.status, reply.error ?? '').toBe('done');
			expect(reply.model).toBe(`llama/${model}`);
			expect(await stateOf(model)).toBe('loaded');
		}
		expect(await stateOf('alpha')).toBe('unloaded');
	}, 120_000);

	it('streams a "loading model" status to the chat before the first text', async () => {
		expect(await stateOf('alpha')).toBe('unloaded');
		const id = await newConversation(admin);
		const res = await admin.call(
			'POST',
			`/api/conversations/${id}/messages`,
			{ content: 'Hello', maxTokens: 4, model: 'llama/alpha' },
			{ headers: { accept: 'text/event-stream' } }
		);
		expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
		const names: string[] = [];
		for await (const event of parseSse(res.body!)) {
			names.push(
				event.event === 'status' ? `status:${JSON.parse(event.data).status}` : event.event
			);
			if (event.event === 'done' || event.event === 'error') break;
		}
		expect(names[0]).toBe('job');
		expect(names).toContain('status:loading_model');
		// Before the first text (a random model may also end at once, with no text at all).
		const firstText = names.findIndex((name) => name === 'delta' || name === 'done');
		expect(names.indexOf('status:loading_model')).toBeLessThan(firstText);
		expect(names.at(-1)).toBe('done');
	}, 60_000);

	it('unloads and loads through the router', async () => {
		expect((await admin.json('POST', `${BASE}/alpha/unload`)).status).toBe(200);
		// The router stops the model's process in the background.
		await expect.poll(() => stateOf('alpha'), { timeout: 30_000 }).toBe('unloaded');
		expect((await admin.json('POST', `${BASE}/beta/load`)).status).toBe(200);
		await expect.poll(() => stateOf('beta'), { timeout: 30_000 }).toBe('loaded');
	}, 60_000);

	it('starts new chats with the default model the admin chose', async () => {
		expect((await admin.json('PUT', `${BASE}/default`, { model: 'llama/beta' })).status).toBe(200);
		expect((await list()).models.find((m) => m.name === 'beta')!.isDefault).toBe(true);
		const models = await user.json<{ default: string }>('GET', '/api/models');
		expect(models.body.default).toBe('llama/beta');
		const id = await newConversation(user);
		const sent = await send(user, id, 4);
		expect(sent.job.model).toBe('llama/beta');
		expect((await settledReply(user, id, sent.reply.id, 60_000)).status).toBe('done');
		const refused = await admin.json('PUT', `${BASE}/default`, { model: 'llama/nope' });
		expect(refused.status).toBe(400);
	}, 60_000);

	it('downloads from the hub into the folder, the router lists it, and delete removes it', async () => {
		const started = await admin.json<{ download: ModelDownloadDto }>('POST', `${BASE}/downloads`, {
			repo: 'test/tiny-GGUF',
			file: 'tiny.gguf'
		});
		expect(started.status).toBe(202);
		expect(started.body.download).toMatchObject({ state: 'queued', bytes: 0 });
		const id = started.body.download.id;
		await expect
			.poll(
				async () =>
					(await admin.json<{ download: ModelDownloadDto }>('GET', `${BASE}/downloads/${id}`)).body
						.download.state,
				{ timeout: 30_000 }
			)
			.toBe('done');
		expect(await stateOf('tiny')).toBe('unloaded');
		const again = await admin.json('POST', `${BASE}/downloads`, {
			repo: 'test/tiny-GGUF',
			file: 'tiny.gguf'
		});
		expect(again.status).toBe(409);
		expect((await admin.json('DELETE', `${BASE}/tiny`)).status).toBe(200);
		expect(fs.existsSync(path.join(dir, 'tiny.gguf'))).toBe(false);
		expect((await list()).models.map((m) => m.name)).toEqual(['alpha', 'beta']);
	}, 60_000);

	it('refuses path tricks, unknown presets and unknown models', async () => {
		for (const body of [
			{ repo: 'test/tiny-GGUF', file: '../evil.gguf' },
			{ repo: 'test/tiny-GGUF', file: '.hidden.gguf' },
			{ repo: 'test/tiny-GGUF', file: 'sub/dir.gguf' },
			{ repo: 'test/tiny-GGUF', file: 'notes.txt' },
			{ repo: '../etc', file: 'x.gguf' },
			{ repo: 'a/b/c', file: 'x.gguf' },
			{ preset: 'no-such-preset' },
			{ preset: 'qwen2.5-1.5b', extra: 1 }
		]) {
			const res = await admin.json<{ error: { code: string } }>('POST', `${BASE}/downloads`, body);
			expect(res.status, JSON.stringify(body)).toBe(400);
			expect(res.body.error.code).toBeTruthy();
		}
		for (const name of ['..%2Falpha', '%2E%2E', 'nope']) {
			expect((await admin.json('DELETE', `${BASE}/${name}`)).status, name).toBe(404);
			expect((await admin.json('POST', `${BASE}/${name}/load`)).status, name).toBe(404);
		}
		expect((await admin.json('POST', `${BASE}/alpha/explode`)).status).toBe(404);
		expect((await admin.json('GET', `${BASE}/downloads/999999`)).status).toBe(404);
		expect((await admin.json('POST', `${BASE}/downloads/999999/cancel`)).status).toBe(404);
		expect(fs.readdirSync(dir).sort()).toEqual(['alpha.gguf', 'beta.gguf']);
	});

	it('with llama-server reading another folder, lists and loads but refuses downloads', async () => {
		const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-not-shared-'));
		const other = await startHearth({
			LLAMA_URL: llama.url,
			LLAMA_MODELS_DIR: elsewhere,
			HF_ENDPOINT: hub.url
		});
		try {
			addUser(other, 'root', 'root-password-123', true);
			const client = await signIn(other, 'root', 'root-password-123');
			const body = (await client.json<LocalModelsDto>('GET', BASE)).body;
			expect(body).toMatchObject({ router: true, folderWritable: true, folderShared: false });
			expect(body.models.map((m) => [m.name, m.inFolder])).toEqual([
				['alpha', false],
				['beta', false]
			]);
			const refused = await client.json<{ error: { message: string } }>(
				'POST',
				`${BASE}/downloads`,
				{ repo: 'test/tiny-GGUF', file: 'tiny.gguf' }
			);
			expect(refused.status).toBe(409);
			expect(refused.body.error.message).toMatch(/another folder/);
			expect((await client.json('DELETE', `${BASE}/alpha`)).status).toBe(404);
			expect(fs.readdirSync(elsewhere)).toEqual([]);
		} finally {
			await other.stop();
			fs.rmSync(elsewhere, { recursive: true, force: true });
		}
	}, 60_000);

	it('answers 404 to everyone but admins', async () => {
		const calls: [string, string, unknown?][] = [
			['GET', BASE],
			['GET', `${BASE}/downloads`],
			['POST', `${BASE}/downloads`, { preset: 'qwen2.5-0.5b' }],
			['GET', `${BASE}/downloads/1`],
			['POST', `${BASE}/downloads/1/cancel`],
			['POST', `${BASE}/alpha/load`],
			['POST', `${BASE}/alpha/unload`],
			['DELETE', `${BASE}/alpha`],
			['PUT', `${BASE}/default`, { model: 'llama/alpha' }]
		];
		for (const [method, url, body] of calls) {
			const res = await user.json<{ error: { code: string } }>(method, url, body);
			expect(res.status, `${method} ${url}`).toBe(404);
			expect(res.body.error.code).toBe('not_found');
		}
		expect(fs.existsSync(path.join(dir, 'alpha.gguf'))).toBe(true);
	});
});
