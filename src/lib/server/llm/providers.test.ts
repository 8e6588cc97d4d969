// The OpenAI and Anthropic adapters against local protocol-faithful stubs: streams, usage,
// reasoning, and every fault as a typed, readable error (never an exception or a rejection).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	startAnthropicStub,
	startOpenAiStub,
	type StubBehaviour,
	type StubServer,
	stubProviderRecord
} from '../../../../tests/support/stub-providers';
import { freePort } from '../../../../tests/support/ports';
import { buildProvider } from '$lib/server/llm/registry';
import type { ChatEvent, ChatMessage, Provider } from '$lib/server/llm/types';
import { CONTINUE_INSTRUCTION } from '$lib/server/services/prompt';
import type { ProviderRecord } from '$lib/server/services/providers';

const KEY = 'sk-test-secret-value-1234';

async function collect(provider: Provider, signal = new AbortController().signal) {
	const events: ChatEvent[] = [];
	for await (const event of provider.streamChat(
		{ model: 'm', messages: [{ role: 'user', content: 'Hi' }], reasoning: 'low' },
		signal
	)) {
		events.push(event);
	}
	return events;
}

const textOf = (events: ChatEvent[]) =>
	events.map((e) => (e.type === 'text' ? e.text : '')).join('');
const errorOf = (events: ChatEvent[]) => events.find((e) => e.type === 'error');

describe.each([
	{ label: 'OpenAI', kind: 'openai' as const, start: startOpenAiStub, path: '/v1' },
	{ label: 'Anthropic', kind: 'anthropic' as const, start: startAnthropicStub, path: '' }
])('$label adapter', ({ label, kind, start, path }) => {
	let stub: StubServer;
	let provider: Provider;
	beforeAll(async () => {
		stub = await start();
		const record: ProviderRecord = {
			id: kind,
			kind,
			name: label,
			baseUrl: `${stub.url}${path}`,
			apiKey: KEY,
			allowInternal: true,
			maxConcurrency: null,
			enabledModels: [],
			source: 'admin'
		};
		provider = buildProvider(record, { firstTokenTimeoutMs: 500, idleTimeoutMs: 500 });
		// The Anthropic adapter loads its SDK on first use, and the 500 ms first-token watchdog counts
		// that load; under a loaded machine it took longer, so the first streams timed out with no text.
		// Listing models loads it here, before any watchdog runs.
		expect((await provider.listModels()).source).toBe('live');
	});
	afterAll(() => stub.close());

	it('gives up on a slow first token with a readable timeout (the registry guards every adapter)', async () => {
		stub.behaviour = 'slowFirstToken';
		const error = errorOf(await collect(provider));
		expect(error).toMatchObject({
			error: {
				code: 'timeout',
				retryable: true,
				message: expect.stringMatching(/did not start answering/)
			}
		});
	});

	it('streams text deltas, a finish and the usage', async () => {
		stub.behaviour = 'ok';
		const events = await collect(provider);
		expect(textOf(events)).toBe('Hello from the stub.');
		expect(events.filter((e) => e.type === 'text').length).toBe(5);
		expect(events).toContainEqual({ type: 'finish', reason: 'stop' });
		const usage = events.find((e) => e.type === 'usage');
		expect(usage).toMatchObject(
			kind === 'openai'
				? { promptTokens: 12, completionTokens: 5, cachedTokens: 8, reasoningTokens: 2 }
				: // Anthropic's input_tokens leave out cache reads and writes; Hearth's count has them.
					{ promptTokens: 151, completionTokens: 9, cachedTokens: 100, cacheWriteTokens: 30 }
		);
		const sent = stub.requests.at(-1)!;
		if (kind === 'openai') {
			expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
			expect(sent.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
		} else {
			// SDK 1.x sends the key as a bearer token; older ones used x-api-key.
			expect([sent.headers.authorization, sent.headers['x-api-key']]).toContain(
				sent.headers.authorization ? `Bearer ${KEY}` : KEY
			);
			expect(sent.headers['anthropic-version']).toBeTruthy();
			expect(sent.body).toMatchObject({
				stream: true,
				thinking: { type: 'enabled', budget_tokens: 1024 }
			});
		}
	});

	it("sends Continue's prompt as given: Anthropic prefills the partial reply, trimmed at its end", async () => {
		stub.behaviour = 'ok';
		const messages: ChatMessage[] =
			kind === 'anthropic'
				? [
						{ role: 'user', content: 'Tell a story' },
						{ role: 'assistant', content: 'Once upon ' }
					]
				: [
						{ role: 'user', content: 'Tell a story' },
						{ role: 'assistant', content: 'Once upon ' },
						{ role: 'user', content: CONTINUE_INSTRUCTION }
					];
		for await (const event of provider.streamChat(
			{ model: 'm', messages },
			new AbortController().signal
		))
			void event;
		const sent = stub.requests.at(-1)!.body as { messages: unknown[] };
		expect(sent.messages).toEqual(
			kind === 'anthropic'
				? [
						{ role: 'user', content: 'Tell a story' },
						{ role: 'assistant', content: 'Once upon' }
					]
				: messages
		);
	});

	it('passes reasoning through as its own event', async () => {
		stub.behaviour = 'reasoning';
		const events = await collect(provider);
		expect(events.find((e) => e.type === 'reasoning')).toBeTruthy();
		expect(textOf(events)).toBe('Hello from the stub.');
	});

	it.each<[StubBehaviour, string, boolean, RegExp]>([
		['status401', 'auth', false, /rejected the API key/],
		['status429', 'rate_limited', true, /rate limiting/],
		['status500', 'upstream', true, /HTTP 500/],
		['malformed', 'bad_response', false, /malformed/],
		['truncated', 'interrupted', true, /closed the connection|ended the reply/]
	])('%s becomes a typed %s error', async (behaviour, code, retryable, message) => {
		stub.behaviour = behaviour;
		const error = errorOf(await collect(provider));
		expect(error).toMatchObject({ type: 'error', error: { code, retryable } });
		if (error?.type === 'error') {
			expect(error.error.message).toMatch(message);
			expect(error.error.message).not.toContain(KEY);
		}
	});

	it('keeps the key out of what an upstream echoing it said: message generic, detail redacted', async () => {
		// A key with a known shape and one without: both must go.
		const plain = 'PlainKeyWithoutShape4242';
		for (const apiKey of [KEY, plain]) {
			const echoing = buildProvider(
				{
					id: `${kind}-echo`,
					kind,
					name: label,
					baseUrl: `${stub.url}${path}`,
					apiKey,
					allowInternal: true,
					maxConcurrency: null,
					enabledModels: [],
					source: 'admin'
				},
				{ firstTokenTimeoutMs: 500, idleTimeoutMs: 500 }
			);
			stub.behaviour = 'echoKey';
			const streamed = errorOf(await collect(echoing));
			if (streamed?.type !== 'error') throw new Error('expected an error event');
			const listed = await echoing.listModels();
			const failures = [streamed.error, listed.source === 'fallback' ? listed.error : null];
			const sent = stub.requests.at(-1)!.headers;
			expect(JSON.stringify([sent.authorization, sent['x-api-key']])).toContain(apiKey);
			for (const failure of failures) {
				const text = JSON.stringify(failure);
				expect(text).toContain('auth');
				expect(text).not.toContain(apiKey);
				expect(text).not.toContain(apiKey.slice(4, -4));
				expect(text).toContain('[redacted]');
			}
			expect(streamed.error.message).toBe(`${label} rejected the API key`);
			expect(streamed.error.detail).toMatch(/redacted/);
		}
		stub.behaviour = 'ok';
	});

	it('lists models live', async () => {
		const list = await provider.listModels();
		expect(list.source).toBe('live');
		expect(list.models.length).toBeGreaterThan(0);
		if (kind === 'openai')
			expect(list.models.map((m) => m.id)).not.toContain('text-embedding-3-small');
	});
});

describe('OpenAI timeouts and cancellation', () => {
	let stub: StubServer;
	let provider: Provider;
	beforeAll(async () => {
		stub = await startOpenAiStub();
		provider = buildProvider(stubProviderRecord(stub, { id: 'x', enabledModels: ['fallback-a'] }), {
			firstTokenTimeoutMs: 300,
			idleTimeoutMs: 300
		});
	});
	afterAll(() => stub.close());

	it('gives up on a slow first token with a readable timeout', async () => {
		stub.behaviour = 'slowFirstToken';
		const started = Date.now();
		const error = errorOf(await collect(provider));
		expect(error).toMatchObject({ error: { code: 'timeout', retryable: true } });
		expect(Date.now() - started).toBeLessThan(3_000);
	});

	it('stops an endless stream when the caller aborts, without an error event', async () => {
		stub.behaviour = 'endless';
		const controller = new AbortController();
		const events: ChatEvent[] = [];
		for await (const event of provider.streamChat(
			{ model: 'm', messages: [{ role: 'user', content: 'x' }] },
			controller.signal
		)) {
			events.push(event);
			if (events.length === 20) controller.abort();
		}
		expect(events).toHaveLength(20);
		expect(errorOf(events)).toBeUndefined();
	});

	it('sends no Authorization header without a key', async () => {
		stub.behaviour = 'ok';
		await collect(provider);
		expect(stub.requests.at(-1)!.headers.authorization).toBeUndefined();
	});

	it('falls back to the configured list, marked as fallback, when the server is gone', async () => {
		const gone = buildProvider({
			id: 'y',
			kind: 'openai_compatible',
			name: 'Gone',
			baseUrl: 'http://127.0.0.1:9/v1',
			apiKey: null,
			allowInternal: true,
			maxConcurrency: null,
			enabledModels: ['fallback-a'],
			source: 'admin'
		});
		const list = await gone.listModels();
		expect(list).toMatchObject({
			source: 'fallback',
			models: [{ id: 'fallback-a' }],
			error: { code: 'unreachable' }
		});
	});

	it('names the real cause when a host cannot be reached: refused, or a name that does not resolve', async () => {
		const at = (name: string, baseUrl: string) =>
			buildProvider({
				id: name,
				kind: 'openai',
				name,
				baseUrl,
				apiKey: null,
				allowInternal: true,
				maxConcurrency: null,
				enabledModels: [],
				source: 'admin'
			});
		const closed = await freePort();
		const refused = await at('Local', `http://127.0.0.1:${closed}/v1`).listModels();
		expect(refused).toMatchObject({
			error: { code: 'unreachable', message: 'Cannot reach Local — is it running?' }
		});
		const badPort = await at('Odd', 'http://127.0.0.1:9/v1').listModels();
		expect(badPort).toMatchObject({ error: { message: expect.stringContaining('"bad port"') } });
		const unknown = await at('OpenAI', 'https://api.openai.invalid/v1').listModels();
		expect(unknown).toMatchObject({ error: { code: 'unreachable' } });
		if (unknown.source !== 'fallback') throw new Error('expected a fallback list');
		expect(unknown.error.message).toBe(
			"Cannot reach OpenAI: its host name does not resolve (check the address and this server's DNS)"
		);
		expect(unknown.error.message).not.toMatch(/is it running/);
	});

	it('refuses a private address that was not allowed', async () => {
		const sneaky = buildProvider({
			id: 'z',
			kind: 'openai_compatible',
			name: 'Sneaky',
			baseUrl: `${stub.url}/v1`,
			apiKey: KEY,
			allowInternal: false,
			maxConcurrency: null,
			enabledModels: [],
			source: 'admin'
		});
		const before = stub.requests.length;
		const error = errorOf(await collect(sneaky));
		expect(error).toMatchObject({ error: { code: 'blocked' } });
		expect(stub.requests.length).toBe(before);
	});
});
