// The llama.cpp adapter against a real llama-server running the generated test model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports';
import { startLlamaServer, TEST_MODEL_ALIAS, type LlamaServer } from '../support/llama-server';
import { buildProvider } from '$lib/server/llm/registry';
import { createLlamaCppProvider } from '$lib/server/llm/llamacpp';
import type { ChatEvent, ChatRequest, Provider } from '$lib/server/llm/types';
import type { ProviderRecord } from '$lib/server/services/providers';
import { ProviderRegistry } from '$lib/server/llm/registry';
import { createGuardedFetch } from '$lib/server/net/guarded-fetch';
import { CHARS_PER_TOKEN, estimateUsage } from '$lib/server/jobs/usage-estimate';

const record = (url: string, overrides: Partial<ProviderRecord> = {}): ProviderRecord => ({
	id: 'llama',
	kind: 'llamacpp',
	name: 'llama.cpp',
	baseUrl: url,
	apiKey: null,
	allowInternal: true,
	maxConcurrency: null,
	enabledModels: [],
	source: 'config',
	...overrides
});

const ask = (maxTokens: number, extra: Partial<ChatRequest> = {}): ChatRequest => ({
	model: TEST_MODEL_ALIAS,
	messages: [
		{ role: 'system', content: 'You are a test.' },
		{ role: 'user', content: 'Say something about the hearth.' }
	],
	maxTokens,
	temperature: 1.5,
	...extra
});

async function collect(
	provider: Provider,
	request: ChatRequest,
	signal = new AbortController().signal
) {
	const events: ChatEvent[] = [];
	for await (const event of provider.streamChat(request, signal)) events.push(event);
	return events;
}

async function slotsBusy(url: string): Promise<boolean> {
	const slots = (await (await fetch(`${url}/slots`)).json()) as { is_processing: boolean }[];
	return slots.some((s) => s.is_processing);
}

describe('llama.cpp adapter against a real llama-server', () => {
	let server: LlamaServer;
	let provider: Provider;
	beforeAll(async () => {
		server = await startLlamaServer({ parallel: 2 });
		provider = buildProvider(record(server.url));
	}, 120_000);
	afterAll(() => server?.stop());

	it('lists the model live, with its context size', async () => {
		const list = await provider.listModels();
		expect(list.source).toBe('live');
		expect(list.models).toEqual([
			{ id: TEST_MODEL_ALIAS, contextLength: expect.any(Number), vision: false }
		]);
	});

	it('reads the slot count from /props as its concurrency', async () => {
		expect(await provider.concurrency()).toBe(2);
		const llama = createLlamaCppProvider({
			...record(server.url),
			fetch: createGuardedFetch({
				allowedInternalOrigins: new Set([server.url]),
				maxResponseBytes: 1e6,
				timeoutMs: 5_000
			})
		});
		expect(await llama.health()).toBe(true);
		expect(await llama.props()).toMatchObject({ slots: 2, contextLength: expect.any(Number) });
	});

	it('streams a reply as several deltas, with usage and timings', async () => {
		const events = await collect(provider, ask(64, { temperature: 0 }));
		const texts = events.filter((e) => e.type === 'text');
		expect(texts.length).toBeGreaterThan(3);
		expect(events.find((e) => e.type === 'error')).toBeUndefined();
		expect(events).toContainEqual({
			type: 'finish',
			reason: expect.stringMatching(/^(stop|length)$/)
		});
		const usage = events.find((e) => e.type === 'usage');
		expect(usage).toMatchObject({
			type: 'usage',
			promptTokens: expect.any(Number),
			completionTokens: expect.any(Number)
		});
		if (usage?.type === 'usage') {
			expect(usage.promptTokens).toBeGreaterThan(5);
			expect(usage.completionTokens).toBeGreaterThan(3);
			expect(usage.timings?.predictedN).toBe(usage.completionTokens);
			expect(usage.timings?.predictedPerSecond).toBeGreaterThan(0);
		}
	});

	it('counts tokens with /tokenize, so a stopped reply records what it used', async () => {
		const controller = new AbortController();
		let text = '';
		for await (const event of provider.streamChat(ask(400), controller.signal)) {
			if (event.type === 'text') text += event.text;
			// Stopped mid-reply: the usage chunk never comes.
			if (text.length > 40) {
				controller.abort();
				break;
			}
		}
		const tokenize = async (content: string) =>
			(
				(await (
					await fetch(`${server.url}/tokenize`, {
						method: 'POST',
						body: JSON.stringify({ content, add_special: false })
					})
				).json()) as { tokens: unknown[] }
			).tokens.length;
		const prompt = ask(1).messages;
		const usage = await estimateUsage(provider, prompt, { text, reasoning: '' });
		expect(usage).toEqual({
			promptTokens: await tokenize(prompt.map((m) => m.content).join('\n')),
			completionTokens: await tokenize(text),
			estimated: true,
			local: true
		});
		expect(usage.promptTokens).toBeGreaterThan(5);
		// A provider that cannot tokenize: counted from the length of the text.
		const gone = buildProvider(record('http://127.0.0.1:9'));
		expect(await estimateUsage(gone, prompt, { text: 'abcdefgh', reasoning: '' })).toMatchObject({
			completionTokens: 8 / CHARS_PER_TOKEN,
			estimated: true
		});
	});

	it('survives random bytes from the model: the text stays well-formed', async () => {
		let nonAscii = 0;
		for (let seed = 0; seed < 3; seed++) {
			const events = await collect(provider, ask(200, { temperature: 2 }));
			expect(events.find((e) => e.type === 'error')).toBeUndefined();
			const text = events.map((e) => (e.type === 'text' ? e.text : '')).join('');
			expect(text.isWellFormed()).toBe(true);
			nonAscii += [...text].filter((c) => c.charCodeAt(0) > 127).length;
		}
		// The model emits byte tokens; some of them must have come through as non-ASCII text.
		expect(nonAscii).toBeGreaterThan(0);
	});

	it('gives a readable error when the prompt does not fit the context', async () => {
		const long = 'hearth '.repeat(3_000);
		const events = await collect(provider, {
			...ask(10),
			messages: [{ role: 'user', content: long }]
		});
		const error = events.find((e) => e.type === 'error');
		expect(error).toMatchObject({ error: { code: 'bad_request', retryable: false } });
	});

	it('times out a first token that does not come in time', async () => {
		const impatient = buildProvider(record(server.url), {
			firstTokenTimeoutMs: 1,
			idleTimeoutMs: 1_000
		});
		const events = await collect(impatient, ask(10));
		expect(events.find((e) => e.type === 'error')).toMatchObject({
			error: { code: 'timeout', message: expect.stringMatching(/did not start answering/) }
		});
	});

	it('serialises replies beyond the slot count', async () => {
		const registry = new ProviderRegistry(async () => [record(server.url, { maxConcurrency: 1 })]);
		const p = (await registry.get('llama'))!;
		const first = await registry.acquire(p, 1);
		let secondGot = false;
		const second = registry.acquire(p, 1).then((release) => {
			secondGot = true;
			return release;
		});
		// The gate is full (checked on the same path the second acquire awaited): it still waits.
		await expect(registry.acquire(p, 2, AbortSignal.abort())).rejects.toBeDefined();
		expect(secondGot).toBe(false);
		first();
		(await second)();
		expect(secondGot).toBe(true);
	});
});

describe('llama.cpp faults', () => {
	it('not running: a typed, readable error and a fallback model list', async () => {
		const dead = buildProvider(record(`http://127.0.0.1:${await freePort()}`));
		const events = await collect(dead, ask(5));
		expect(events).toEqual([
			{
				type: 'error',
				error: {
					code: 'unreachable',
					retryable: true,
					message: 'Cannot reach llama.cpp — is it running?'
				}
			}
		]);
		expect(await dead.listModels()).toMatchObject({
			source: 'fallback',
			error: { code: 'unreachable' }
		});
		expect(await dead.concurrency()).toBe(1);
	});

	it('killed mid-stream: the stream ends with a retryable error, nothing throws', async () => {
		const server = await startLlamaServer({
			model: { embedding: 256, blocks: 4, heads: 4, feedForward: 512 }
		});
		try {
			const provider = buildProvider(record(server.url));
			const events: ChatEvent[] = [];
			for await (const event of provider.streamChat(
				ask(4000, { temperature: 1 }),
				new AbortController().signal
			)) {
				events.push(event);
				if (events.length === 3) server.process.kill('SIGKILL');
			}
			const error = events.find((e) => e.type === 'error');
			expect(error).toMatchObject({
				error: { code: expect.stringMatching(/^(interrupted|unreachable)$/), retryable: true }
			});
		} finally {
			await server.stop();
		}
	});

	it('aborting the stream stops generation upstream (the slot goes idle)', async () => {
		// A slower model that cannot end by itself: 4000 tokens would take far longer than the wait.
		const server = await startLlamaServer({
			model: { embedding: 256, blocks: 4, heads: 4, feedForward: 512 },
			extraArgs: ['--ignore-eos']
		});
		try {
			const provider = buildProvider(record(server.url));
			const controller = new AbortController();
			let seen = 0;
			for await (const event of provider.streamChat(
				ask(4000, { temperature: 1 }),
				controller.signal
			)) {
				if (event.type === 'text' && ++seen === 5) {
					expect(await slotsBusy(server.url)).toBe(true);
					controller.abort();
				}
			}
			expect(seen).toBe(5);
			await expect.poll(() => slotsBusy(server.url), { timeout: 3_000 }).toBe(false);
		} finally {
			await server.stop();
		}
	});

	it('with an API key: refused without it, works with it', async () => {
		const server = await startLlamaServer({ apiKey: 'llama-secret-key' });
		try {
			const without = await collect(buildProvider(record(server.url)), ask(5));
			expect(without.find((e) => e.type === 'error')).toMatchObject({ error: { code: 'auth' } });
			const withKey = await collect(
				buildProvider(record(server.url, { apiKey: 'llama-secret-key' })),
				ask(5)
			);
			expect(withKey.find((e) => e.type === 'error')).toBeUndefined();
		} finally {
			await server.stop();
		}
	});
});
