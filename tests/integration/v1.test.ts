// Hearth as an OpenAI-compatible endpoint: the official `openai` SDK as the client against the
// built server, with a real llama-server behind it (and the OpenAI protocol stub where the exact
// upstream request must be checked). Keys are made over the JSON API as a user would.
import Database from 'better-sqlite3';
import path from 'node:path';
import OpenAI from 'openai';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLlamaServer, TEST_MODEL_ALIAS, type LlamaServer } from '../support/llama-server';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { startOpenAiStub, TINY_PNG_BASE64, type StubServer } from '../support/stub-providers';

const LLAMA_MODEL = `llama/${TEST_MODEL_ALIAS}`;
const ASK = [{ role: 'user' as const, content: 'Say something about the hearth.' }];

interface Created {
	key: { id: number; name: string; prefix: string };
	secret: string;
}

async function createKey(client: ApiClient, body: Record<string, unknown>): Promise<Created> {
	const res = await client.json<Created>('POST', '/api/keys', body);
	if (res.status !== 201) throw new Error(`create key: ${res.status} ${JSON.stringify(res.body)}`);
	return res.body;
}

const sdk = (hearth: HearthServer, apiKey: string) =>
	new OpenAI({ baseURL: `${hearth.url}/v1`, apiKey, maxRetries: 0 });

function openDb(hearth: HearthServer) {
	return new Database(path.join(hearth.dataDir, 'hearth.db'), { readonly: true });
}

/** POSTs with a Content-Length of `length` bytes and sends none of them: the answer to the header. */
function announceBody(
	url: string,
	headers: Record<string, string>,
	length: number
): Promise<{ status: number; body: unknown }> {
	return new Promise((resolve, reject) => {
		const request = http.request(
			url,
			{
				method: 'POST',
				headers: { ...headers, 'content-type': 'application/json', 'content-length': length }
			},
			(res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (chunk: string) => (text += chunk));
				res.on('end', () => {
					resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
					request.destroy();
				});
			}
		);
		request.on('error', reject);
		request.flushHeaders();
	});
}

describe('the OpenAI SDK against Hearth and a real llama-server', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let alice: ApiClient;
	let bob: ApiClient;
	let admin: ApiClient;
	let key: Created;
	let openai: OpenAI;

	beforeAll(async () => {
		// --ignore-eos: a reply always runs to its token limit, so a limit is observable.
		// --embeddings: the same server answers /v1/embeddings (and still chats).
		llama = await startLlamaServer({
			parallel: 2,
			extraArgs: ['--ignore-eos', '--embeddings', '--pooling', 'mean']
		});
		hearth = await startHearth({ LLAMA_URL: llama.url });
		addUser(hearth, 'root', 'root-password', true);
		addUser(hearth, 'alice', 'alice-password');
		addUser(hearth, 'bob', 'bob-password-1');
		admin = await signIn(hearth, 'root', 'root-password');
		alice = await signIn(hearth, 'alice', 'alice-password');
		bob = await signIn(hearth, 'bob', 'bob-password-1');
		key = await createKey(alice, { name: 'laptop script' });
		openai = sdk(hearth, key.secret);
		// A model alias is a preset the admin shares with everyone.
		const alias = await admin.json('POST', '/api/presets', {
			name: 'gpt-4o-mini',
			model: LLAMA_MODEL,
			params: { max_tokens: 5 },
			systemPrompt: 'You are the hearth keeper. Answer in one short sentence, always.',
			shared: true
		});
		expect(alias.status).toBe(201);
		// A user's own preset is theirs, not a model name for everyone. (Made by Bob: Alice's
		// requests count against her per-minute rate, which later tests bring close to its limit.)
		expect(
			(await bob.json('POST', '/api/presets', { name: 'bob-only', model: LLAMA_MODEL })).status
		).toBe(201);
	}, 120_000);
	afterAll(async () => {
		await hearth?.stop();
		await llama?.stop();
	});

	it('lists the shared presets and every provider/model', async () => {
		const ids = [];
		for await (const model of openai.models.list()) ids.push(model.id);
		expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', LLAMA_MODEL]));
		expect(ids.indexOf('gpt-4o-mini')).toBeLessThan(ids.indexOf(LLAMA_MODEL));
		expect(ids).not.toContain('bob-only');
		// Each shared preset once.
		expect(ids.filter((id) => id === 'gpt-4o-mini')).toHaveLength(1);
	});

	it('answers a non-streaming completion with usage', async () => {
		const completion = await openai.chat.completions.create({
			model: LLAMA_MODEL,
			messages: ASK,
			max_tokens: 8,
			temperature: 0,
			seed: 7
		});
		expect(completion.object).toBe('chat.completion');
		expect(completion.model).toBe(LLAMA_MODEL);
		expect(completion.id).toMatch(/^chatcmpl-/);
		expect(completion.choices[0]!.message.role).toBe('assistant');
		expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
		expect(completion.choices[0]!.finish_reason).toBe('length');
		expect(completion.usage).toMatchObject({
			prompt_tokens: expect.any(Number),
			completion_tokens: 8,
			total_tokens: completion.usage!.prompt_tokens + 8
		});
	});

	it('streams chunks in OpenAI format, then a usage chunk when asked', async () => {
		const stream = await openai.chat.completions.create({
			model: LLAMA_MODEL,
			messages: ASK,
			max_completion_tokens: 12,
			stream: true,
			stream_options: { include_usage: true }
		});
		let text = '';
		const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
		for await (const chunk of stream) {
			chunks.push(chunk);
			text += chunk.choices[0]?.delta.content ?? '';
		}
		expect(text.length).toBeGreaterThan(0);
		expect(chunks.length).toBeGreaterThan(3);
		expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
		for (const c of chunks) {
			expect(c.object).toBe('chat.completion.chunk');
			expect(c.model).toBe(LLAMA_MODEL);
		}
		const last = chunks.at(-1)!;
		expect(last.choices).toEqual([]);
		expect(last.usage).toMatchObject({ completion_tokens: 12, prompt_tokens: expect.any(Number) });
		expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
	});

	it('stops the upstream reply when the client goes away, and still records its usage', async () => {
		const controller = new AbortController();
		const stream = await openai.chat.completions.create(
			{ model: LLAMA_MODEL, messages: ASK, max_tokens: 900, stream: true },
			{ signal: controller.signal }
		);
		let chunks = 0;
		await (async () => {
			for await (const _chunk of stream) if (++chunks === 3) controller.abort();
		})().catch(() => undefined);
		const db = openDb(hearth);
		try {
			await vi.waitFor(
				() => {
					const row = db
						.prepare(
							"select completion_tokens, estimated from usage_event where source = 'api' order by id desc limit 1"
						)
						.get() as { completion_tokens: number; estimated: number } | undefined;
					expect(row).toMatchObject({ estimated: 1 });
					expect(row!.completion_tokens).toBeLessThan(900);
				},
				{ timeout: 10_000 }
			);
		} finally {
			db.close();
		}
		await vi.waitFor(
			async () => {
				const slots = (await (await fetch(`${llama.url}/slots`)).json()) as {
					is_processing: boolean;
				}[];
				expect(slots.some((s) => s.is_processing)).toBe(false);
			},
			{ timeout: 10_000 }
		);
	});

	it('streams without a usage chunk unless asked', async () => {
		const stream = await openai.chat.completions.create({
			model: LLAMA_MODEL,
			messages: ASK,
			max_tokens: 4,
			stream: true
		});
		const chunks = [];
		for await (const chunk of stream) chunks.push(chunk);
		expect(chunks.every((c) => !c.usage && c.choices.length === 1)).toBe(true);
	});

	it('applies a shared preset: its model, default parameters and system prompt', async () => {
		const viaAlias = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: ASK });
		expect(viaAlias.model).toBe('gpt-4o-mini');
		expect(viaAlias.usage!.completion_tokens).toBe(5);
		expect(viaAlias.choices[0]!.finish_reason).toBe('length');
		const direct = await openai.chat.completions.create({
			model: LLAMA_MODEL,
			messages: ASK,
			max_tokens: 5
		});
		// The alias's system prompt is part of what the model read.
		expect(viaAlias.usage!.prompt_tokens).toBeGreaterThan(direct.usage!.prompt_tokens + 5);
		// A parameter the request names wins over the alias's default.
		const own = await openai.chat.completions.create({
			model: 'gpt-4o-mini',
			messages: ASK,
			max_tokens: 3
		});
		expect(own.usage!.completion_tokens).toBe(3);
	});

	it('embeds text through the provider, recorded like a completion', async () => {
		const result = await openai.embeddings.create({
			model: LLAMA_MODEL,
			input: ['hello hearth', 'a second text']
		});
		expect(result.model).toBe(LLAMA_MODEL);
		expect(result.data).toHaveLength(2);
		expect(result.data[1]!.index).toBe(1);
		expect(result.data[0]!.embedding.length).toBeGreaterThan(10);
		expect(result.data[0]!.embedding.every((x) => Number.isFinite(x))).toBe(true);
		expect(result.usage.prompt_tokens).toBeGreaterThan(2);
	});

	it('keeps a completed request in the history when the key opts in', async () => {
		const keeper = await createKey(bob, { name: 'keeper', saveHistory: true });
		const question = 'What keeps a hearth warm through the night?';
		const completion = await sdk(hearth, keeper.secret).chat.completions.create({
			model: LLAMA_MODEL,
			messages: [
				{ role: 'system', content: 'You are a stove.' },
				{ role: 'user', content: question }
			],
			max_tokens: 6
		});
		const list = await bob.json<{ conversations: { id: number; title: string }[] }>(
			'GET',
			'/api/conversations'
		);
		const saved = list.body.conversations.find((c) => c.title === question);
		expect(saved).toBeDefined();
		const detail = await bob.json<{
			systemPrompt: string | null;
			messages: { role: string; content: string; status: string }[];
		}>('GET', `/api/conversations/${saved!.id}`);
		expect(detail.body.systemPrompt).toBe('You are a stove.');
		expect(detail.body.messages.map((m) => [m.role, m.content, m.status])).toEqual([
			['user', question, 'done'],
			['assistant', completion.choices[0]!.message.content, 'done']
		]);
		// Without the opt-in nothing is kept.
		const before = (await alice.json<{ conversations: unknown[] }>('GET', '/api/conversations'))
			.body.conversations.length;
		await openai.chat.completions.create({ model: LLAMA_MODEL, messages: ASK, max_tokens: 2 });
		const after = (await alice.json<{ conversations: unknown[] }>('GET', '/api/conversations')).body
			.conversations.length;
		expect(after).toBe(before);
	});

	it('answers errors as the SDK types them', async () => {
		const unknown = await openai.chat.completions
			.create({ model: 'llama/no-such-model', messages: ASK })
			.catch((e: unknown) => e);
		expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
		expect(unknown).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
		const nobody = await openai.chat.completions
			.create({ model: 'gpt-5-nonexistent', messages: ASK })
			.catch((e: unknown) => e);
		expect(nobody).toBeInstanceOf(OpenAI.NotFoundError);

		const bad = await openai.chat.completions
			.create({ model: LLAMA_MODEL, messages: ASK, temperature: 5 })
			.catch((e: unknown) => e);
		expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
		expect(bad).toMatchObject({ status: 400, param: 'temperature', type: 'invalid_request_error' });
		const empty = await openai.chat.completions
			.create({ model: LLAMA_MODEL, messages: [] })
			.catch((e: unknown) => e);
		expect(empty).toBeInstanceOf(OpenAI.BadRequestError);

		const stranger = await sdk(hearth, 'hth_' + 'A'.repeat(43))
			.models.list()
			.catch((e: unknown) => e);
		expect(stranger).toBeInstanceOf(OpenAI.AuthenticationError);
		expect(stranger).toMatchObject({ status: 401, code: 'invalid_api_key' });
	});

	it('refuses a revoked key and an expired one with 401', async () => {
		const doomed = await createKey(alice, { name: 'doomed' });
		const client = sdk(hearth, doomed.secret);
		await client.models.list();
		expect((await alice.call('DELETE', `/api/keys/${doomed.key.id}`)).status).toBe(200);
		expect(await client.models.list().catch((e: unknown) => e)).toBeInstanceOf(
			OpenAI.AuthenticationError
		);

		const brief = await createKey(alice, { name: 'brief', expiresAt: Date.now() + 1_500 });
		const shortLived = sdk(hearth, brief.secret);
		await shortLived.models.list();
		await vi.waitFor(
			async () => {
				const error = await shortLived.models.list().then(
					() => null,
					(e: unknown) => e
				);
				expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
			},
			{ timeout: 10_000, interval: 250 }
		);
	});

	it('rate-limits a key to its own rate with 429 and Retry-After', async () => {
		const slow = await createKey(alice, { name: 'one a minute', rateLimitPerMinute: 1 });
		const client = sdk(hearth, slow.secret);
		await client.models.list();
		const limited = await client.models.list().catch((e: unknown) => e);
		expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
		const retryAfter = Number(
			(limited as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')
		);
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(60);
		// The owner's other key is not held back.
		await openai.models.list();
	});

	it('refuses a request over budget with 429 insufficient_quota', async () => {
		const carol = 'carol';
		addUser(hearth, carol, 'carol-password');
		const client = await signIn(hearth, carol, 'carol-password');
		const me = await client.json<{ user: { id: number } }>('GET', '/api/me');
		const set = await admin.json('PUT', `/api/usage/budgets/${me.body.user.id}`, { monthlyUsd: 0 });
		expect(set.status).toBe(200);
		const carolKey = await createKey(client, { name: 'broke' });
		const error = await sdk(hearth, carolKey.secret)
			.chat.completions.create({ model: LLAMA_MODEL, messages: ASK, max_tokens: 2 })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(OpenAI.RateLimitError);
		expect(error).toMatchObject({ status: 429, code: 'insufficient_quota' });
	});

	it('accepts neither a session cookie on /v1 nor a key on /api', async () => {
		const withCookie = await alice.call('GET', '/v1/models');
		expect(withCookie.status).toBe(401);
		expect(await withCookie.json()).toMatchObject({
			error: { type: 'invalid_request_error', code: 'invalid_api_key' }
		});
		const onApi = await fetch(`${hearth.url}/api/keys`, {
			headers: { authorization: `Bearer ${key.secret}` }
		});
		expect(onApi.status).toBe(401);
		const cookieless = await fetch(`${hearth.url}/api/conversations`, {
			method: 'POST',
			headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
			body: '{}'
		});
		expect(cookieless.status).toBe(401);
	});

	it("gives /v1's own refusals (unknown path, oversize body, bad JSON) OpenAI's error shape", async () => {
		// Ezra's own key: not a rate bucket other tests drained.
		addUser(hearth, 'ezra', 'ezra-password');
		const ownKey = await createKey(await signIn(hearth, 'ezra', 'ezra-password'), {
			name: 'refusals'
		});
		const auth = { authorization: `Bearer ${ownKey.secret}` };
		const unknown = await fetch(`${hearth.url}/v1/assistants`, { headers: auth });
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toEqual({
			error: {
				message: expect.stringContaining('/v1/assistants'),
				type: 'invalid_request_error',
				param: null,
				code: 'unknown_url'
			}
		});
		// Refused from its Content-Length alone: announced, never sent (sending 9 MB to a server that
		// has already answered can end in EPIPE before the answer is read).
		const huge = await announceBody(`${hearth.url}/v1/chat/completions`, auth, 9 * 1024 * 1024);
		expect(huge.status).toBe(413);
		expect(huge.body).toMatchObject({ error: { code: 'payload_too_large', param: null } });
		const broken = await fetch(`${hearth.url}/v1/chat/completions`, {
			method: 'POST',
			headers: { ...auth, 'content-type': 'application/json' },
			body: '{"model": '
		});
		expect(broken.status).toBe(400);
		expect(await broken.json()).toMatchObject({
			error: { type: 'invalid_request_error', code: 'invalid_json' }
		});
	});

	it("answers 404 for another user's key and lists only one's own", async () => {
		const res = await bob.call('DELETE', `/api/keys/${key.key.id}`);
		expect(res.status).toBe(404);
		const bobs = await bob.json<{ keys: { id: number; name: string }[] }>('GET', '/api/keys');
		expect(bobs.body.keys.map((k) => k.name)).toEqual(['keeper']);
		await openai.models.list();
		// The admin sees everyone's.
		const all = await admin.json<{ keys: { id: number; username: string }[] }>(
			'GET',
			'/api/admin/keys'
		);
		expect(all.body.keys).toContainEqual(
			expect.objectContaining({ id: key.key.id, username: 'alice' })
		);
		expect((await bob.call('GET', '/api/admin/keys')).status).toBe(404);
	});

	it('keeps keys hashed, out of every listing and the log; records usage with the key', async () => {
		const listing = await alice.call('GET', '/api/keys');
		const text = await listing.text();
		expect(text).toContain(key.key.prefix);
		expect(text).not.toContain(key.secret);
		const db = openDb(hearth);
		try {
			const rows = db.prepare('select * from api_token').all();
			expect(JSON.stringify(rows)).not.toContain(key.secret.slice(12));
			const usage = db
				.prepare(
					"select api_token_id, api_key_name, model, prompt_tokens, completion_tokens from usage_event where source = 'api' and api_token_id = ?"
				)
				.all(key.key.id) as { api_key_name: string; completion_tokens: number }[];
			expect(usage.length).toBeGreaterThanOrEqual(5);
			expect(usage.every((u) => u.api_key_name === 'laptop script')).toBe(true);
			const chats = db
				.prepare(
					"select count(*) as n from usage_event where source = 'api' and api_token_id is null"
				)
				.get() as { n: number };
			expect(chats.n).toBe(0);
			expect(usage.some((u) => u.completion_tokens === 12)).toBe(true);
		} finally {
			db.close();
		}
		expect(hearth.log()).not.toContain(key.secret.slice(4));
	});
});

describe('passthrough to an OpenAI-compatible upstream (protocol stub)', () => {
	let stub: StubServer;
	let hearth: HearthServer;
	let openai: OpenAI;

	beforeAll(async () => {
		stub = await startOpenAiStub();
		hearth = await startHearth({ LLAMA_URL: stub.url });
		addUser(hearth, 'dora', 'dora-password');
		const dora = await signIn(hearth, 'dora', 'dora-password');
		openai = sdk(hearth, (await createKey(dora, { name: 'tools' })).secret);
	}, 60_000);
	afterAll(async () => {
		await hearth?.stop();
		await stub?.close();
	});

	it('passes tools, tool_choice, response_format, image parts and sampling fields as sent', async () => {
		stub.behaviour = 'ok';
		const tools: OpenAI.Chat.ChatCompletionTool[] = [
			{
				type: 'function',
				function: {
					name: 'get_weather',
					description: 'The weather in a city',
					parameters: {
						type: 'object',
						properties: { city: { type: 'string' } },
						required: ['city']
					}
				}
			}
		];
		const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
			{ role: 'system', content: 'Be brief.' },
			{
				role: 'user',
				content: [
					{ type: 'text', text: 'What is in this picture, and the weather in Oslo?' },
					{ type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG_BASE64}` } }
				]
			}
		];
		const completion = await openai.chat.completions.create({
			model: 'llama/gpt-4o-mini',
			messages,
			tools,
			tool_choice: 'auto',
			response_format: { type: 'json_object' },
			temperature: 0.3,
			max_completion_tokens: 50,
			stop: ['\n\n'],
			seed: 42,
			user: 'not passed on'
		});
		expect(completion.choices[0]!.message.content).toBe('Hello from the stub.');
		expect(completion.usage).toMatchObject({
			prompt_tokens: 12,
			completion_tokens: 5,
			total_tokens: 17,
			prompt_tokens_details: { cached_tokens: 8 }
		});
		const sent = stub.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!;
		expect(sent.body).toEqual({
			model: 'gpt-4o-mini',
			messages,
			tools,
			tool_choice: 'auto',
			response_format: { type: 'json_object' },
			temperature: 0.3,
			max_tokens: 50,
			stop: ['\n\n'],
			seed: 42,
			stream: true,
			stream_options: { include_usage: true }
		});
	});

	it('answers an upstream refusal as a typed error, and a mid-stream failure as an SDK error', async () => {
		stub.behaviour = 'status500';
		const failed = await openai.chat.completions
			.create({ model: 'llama/gpt-4o-mini', messages: ASK })
			.catch((e: unknown) => e);
		expect(failed).toBeInstanceOf(OpenAI.APIError);
		expect(failed).toMatchObject({ status: 502 });

		stub.behaviour = 'truncated';
		const stream = await openai.chat.completions.create({
			model: 'llama/gpt-4o-mini',
			messages: ASK,
			stream: true
		});
		let text = '';
		const error = await (async () => {
			for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
		})().catch((e: unknown) => e);
		expect(text).toBe('Partial');
		expect(error).toBeInstanceOf(OpenAI.APIError);
		stub.behaviour = 'ok';
	});
});
