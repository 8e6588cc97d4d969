// The /v1 use cases against real adapters and the protocol stubs: a provider without the
// passthrough (Anthropic) answers text-only requests in OpenAI's chunk format and refuses what
// it cannot carry; refusals come typed before anything runs; usage is recorded with the key.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, insertUsers, type TestDatabase } from '../../../../tests/support/db';
import {
	startAnthropicStub,
	startOpenAiStub,
	type StubServer
} from '../../../../tests/support/stub-providers';
import { ProviderRegistry } from '$lib/server/llm/registry';
import type { ProviderRecord } from '$lib/server/llm/types';
import type { ApiKeyIdentity } from '$lib/server/services/api-keys';
import { setUserBudget } from '$lib/server/services/budget';
import {
	createPolicyRule,
	deletePolicyRule,
	updatePolicyRule
} from '$lib/server/services/content-policy';
import { listRefusedTexts, setKeepRefusedText } from '$lib/server/services/policy-refusals';
import {
	startV1Request,
	V1_QUEUE_RETRY_AFTER_SECONDS,
	type V1Deps
} from '$lib/server/services/v1-admission';
import { openChatCompletion, type V1Completion, type V1Event } from '$lib/server/services/v1-chat';

const record = (id: string, kind: ProviderRecord['kind'], baseUrl: string): ProviderRecord => ({
	id,
	kind,
	name: id,
	baseUrl,
	apiKey: 'sk-test-key-0000',
	allowInternal: true,
	maxConcurrency: null,
	enabledModels: [],
	source: 'config'
});

async function drain(completion: V1Completion): Promise<V1Event[]> {
	const events: V1Event[] = [];
	for await (const event of completion.events) events.push(event);
	return events;
}

describe('/v1 chat completions (service)', () => {
	let t: TestDatabase;
	let anthropic: StubServer;
	let openai: StubServer;
	let deps: V1Deps;
	let caller: ApiKeyIdentity;
	const signal = new AbortController().signal;

	beforeAll(async () => {
		t = await freshDatabase('sqlite');
		anthropic = await startAnthropicStub();
		openai = await startOpenAiStub();
		const [userId] = (await insertUsers(t.db, 'scripter')) as [number];
		const key = await t.db
			.insertInto('api_token')
			.values({ user_id: userId, name: 'ci', token_hash: 'x', last4: 'abcd', created_at: 0 })
			.returning('id')
			.executeTakeFirstOrThrow();
		caller = {
			user: { id: userId, username: 'scripter', role: 'user' },
			key: { id: key.id, name: 'ci', rateLimitPerMinute: null, saveHistory: false }
		};
		deps = {
			db: t.db,
			providers: new ProviderRegistry(async () => [
				record('claude', 'anthropic', anthropic.url),
				record('oa', 'openai_compatible', `${openai.url}/v1`)
			])
		};
	});
	afterAll(async () => {
		await anthropic?.close();
		await openai?.close();
		await t?.close();
	});

	it('answers a text request on Anthropic as OpenAI chunks, with usage recorded for the key', async () => {
		const opened = await openChatCompletion(
			deps,
			caller,
			{
				model: 'claude/claude-sonnet-4-5',
				messages: [
					{ role: 'developer', content: 'Be brief.' },
					{ role: 'user', content: [{ type: 'text', text: 'Hello?' }] }
				],
				max_completion_tokens: 40,
				stream: true
			},
			signal
		);
		if (!opened.ok) throw new Error(opened.error.message);
		const events = await drain(opened);
		const chunks = events.flatMap((e) => (e.type === 'chunk' ? [e.chunk] : []));
		expect(chunks[0]).toMatchObject({
			id: opened.id,
			object: 'chat.completion.chunk',
			model: 'claude/claude-sonnet-4-5',
			choices: [{ index: 0, delta: { role: 'assistant' } }]
		});
		const text = chunks
			.map((c) => (c.choices as { delta: { content?: string } }[])[0]!.delta.content ?? '')
			.join('');
		expect(text).toBe('Hello from the stub.');
		expect(chunks.at(-1)).toMatchObject({ choices: [{ finish_reason: 'stop', delta: {} }] });
		expect(events.find((e) => e.type === 'usage')).toMatchObject({
			usage: { prompt_tokens: expect.any(Number), completion_tokens: 9 }
		});
		const sent = anthropic.requests.at(-1)!.body as { system?: unknown; max_tokens: number };
		expect(sent.max_tokens).toBe(40);
		expect(JSON.stringify(sent.system)).toContain('Be brief.');
		const row = await t.db
			.selectFrom('usage_event')
			.selectAll()
			.orderBy('id', 'desc')
			.executeTakeFirstOrThrow();
		expect(row).toMatchObject({
			source: 'api',
			api_token_id: caller.key.id,
			api_key_name: 'ci',
			provider: 'claude',
			model: 'claude-sonnet-4-5',
			completion_tokens: 9
		});
	});

	it('refuses what Anthropic cannot carry here, and bad requests, before anything runs', async () => {
		const before = anthropic.requests.length;
		const ask = { model: 'claude/claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }] };
		const cases: [Record<string, unknown>, number, string | null][] = [
			[{ ...ask, tools: [{ type: 'function', function: { name: 'f' } }] }, 400, 'tools'],
			[{ ...ask, response_format: { type: 'json_object' } }, 400, 'response_format'],
			[
				{
					...ask,
					messages: [
						{
							role: 'user',
							content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }]
						}
					]
				},
				400,
				'messages.0.content'
			],
			[{ ...ask, n: 2 }, 400, 'n'],
			[{ ...ask, temperature: 'hot' }, 400, 'temperature'],
			[{ ...ask, messages: [{ role: 'wizard', content: 'x' }] }, 400, 'messages.0.role'],
			[{ ...ask, model: 'claude/unknown-model' }, 404, 'model'],
			[{ ...ask, model: 'nobody/x' }, 404, 'model'],
			[{ ...ask, model: 'gpt-4o-mini' }, 404, 'model']
		];
		for (const [body, status, param] of cases) {
			const opened = await openChatCompletion(deps, caller, body, signal);
			expect(opened.ok, JSON.stringify(body)).toBe(false);
			if (!opened.ok) expect(opened.error).toMatchObject({ status, param });
		}
		expect(anthropic.requests.length).toBe(before);
	});

	it('maps max_tokens to the passthrough and refuses over budget with insufficient_quota', async () => {
		const opened = await openChatCompletion(
			deps,
			caller,
			{ model: 'oa/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 9 },
			signal
		);
		if (!opened.ok) throw new Error(opened.error.message);
		await drain(opened);
		expect(openai.requests.at(-1)!.body).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 9 });

		await setUserBudget(t.db, caller.user.id, 0, Date.now());
		const broke = await openChatCompletion(
			deps,
			caller,
			{ model: 'oa/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] },
			signal
		);
		if (!broke.ok) throw new Error('validation should pass');
		expect(await drain(broke)).toEqual([
			{
				type: 'error',
				error: expect.objectContaining({ status: 429, code: 'insufficient_quota' })
			}
		]);
		await setUserBudget(t.db, caller.user.id, null, Date.now());
	});

	it('waits in the shared gate and, given up on (the wait cap), answers 429 with Retry-After', async () => {
		const provider = (await deps.providers.get('oa'))!;
		const slots = await provider.concurrency();
		const holders = await Promise.all(
			Array.from({ length: slots }, () => deps.providers.acquire(provider, 'chat-user'))
		);
		const cap = new AbortController();
		const gate = () => deps.providers.gateCounts().find((g) => g.provider === 'oa');
		const waiting = startV1Request(deps, caller.user.id, provider, cap.signal);
		await vi.waitFor(() => expect(gate()).toMatchObject({ running: slots, waiting: 1 }));
		cap.abort(); // what V1_QUEUE_WAIT_MS's timeout does
		expect(await waiting).toEqual({
			ok: false,
			error: expect.objectContaining({
				status: 429,
				type: 'rate_limit_error',
				code: 'queue_full',
				retryAfterSeconds: V1_QUEUE_RETRY_AFTER_SECONDS
			})
		});
		expect(gate()).toMatchObject({ running: slots, waiting: 0 });
		for (const release of holders) release();
		const started = await startV1Request(deps, caller.user.id, provider, signal);
		if (!started.ok) throw new Error(started.error.message);
		started.release();
		await started.settle();
	});

	it('lets one of many parallel requests at 99 % of the budget through, the rest get 429', async () => {
		const [userId] = (await insertUsers(t.db, 'racer')) as [number];
		const now = Date.now();
		await setUserBudget(t.db, userId, 1_000_000, now);
		await t.db
			.insertInto('usage_event')
			.values({
				user_id: userId,
				conversation_id: null,
				message_id: null,
				job_id: null,
				api_token_id: null,
				source: 'api',
				provider: 'oa',
				model: 'gpt-4o-mini',
				prompt_tokens: 1,
				completion_tokens: 1,
				cost_micro_usd: 990_000,
				created_at: now
			})
			.execute();
		const provider = (await deps.providers.get('oa'))!;
		const burst = await Promise.all(
			Array.from({ length: 6 }, () => startV1Request(deps, userId, provider, signal))
		);
		const passed = burst.filter((r) => r.ok);
		expect(passed).toHaveLength(1);
		expect(burst.filter((r) => !r.ok)).toEqual(
			Array.from({ length: 5 }, () => ({
				ok: false,
				error: expect.objectContaining({ status: 429, code: 'insufficient_quota' })
			}))
		);
		for (const started of passed) {
			started.release();
			await started.settle();
		}
		// Settled, the reservation is gone: the next request fits again.
		const next = await startV1Request(deps, userId, provider, signal);
		expect(next.ok).toBe(true);
		if (next.ok) {
			next.release();
			await next.settle();
		}
	});

	it('screens finished replies when a rule says so: a breaking reply becomes the refusal', async () => {
		const ask = { model: 'oa/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] };
		const textOf = (events: V1Event[]) =>
			events
				.flatMap((e) =>
					e.type === 'chunk' ? (e.chunk.choices as { delta: { content?: string } }[]) : []
				)
				.map((c) => c.delta.content ?? '')
				.join('');
		const finishOf = (events: V1Event[]) =>
			events
				.flatMap((e) =>
					e.type === 'chunk' ? (e.chunk.choices as { finish_reason: string | null }[]) : []
				)
				.map((c) => c.finish_reason)
				.filter(Boolean);
		const rule = await createPolicyRule(t.db, {
			name: 'No stubs',
			kind: 'keyword',
			pattern: 'from the stub',
			message: 'That reply was withheld.',
			screenReplies: true
		});
		if (!rule.ok) throw new Error(rule.message);
		try {
			for (const stream of [true, false]) {
				const opened = await openChatCompletion(deps, caller, { ...ask, stream }, signal);
				if (!opened.ok) throw new Error(opened.error.message);
				const events = await drain(opened);
				expect(textOf(events)).toBe('That reply was withheld.');
				expect(finishOf(events)).toEqual(['content_filter']);
				expect(events.filter((e) => e.type === 'usage')).toHaveLength(1);
				expect(events.every((e) => e.type !== 'chunk' || e.chunk.id === opened.id)).toBe(true);
			}
			// A reply that breaks no rule comes through whole.
			await updatePolicyRule(t.db, rule.rule.id, { pattern: 'nothing like this' });
			const opened = await openChatCompletion(deps, caller, ask, signal);
			if (!opened.ok) throw new Error(opened.error.message);
			const events = await drain(opened);
			expect(textOf(events)).toBe('Hello from the stub.');
			expect(finishOf(events)).toEqual(['stop']);
		} finally {
			await deletePolicyRule(t.db, rule.rule.id);
		}
	});

	it('keeps a refused request’s screened text, as the key owner’s, while the admin keeps them', async () => {
		const rule = await createPolicyRule(t.db, {
			name: 'Kept',
			kind: 'keyword',
			pattern: 'violet harbour',
			message: 'Not through the API.'
		});
		if (!rule.ok) throw new Error(rule.message);
		await setKeepRefusedText(t.db, true);
		try {
			const opened = await openChatCompletion(
				deps,
				caller,
				{
					model: 'oa/gpt-4o-mini',
					messages: [
						{ role: 'system', content: 'Be brief.' },
						{ role: 'user', content: 'Where is the Violet Harbour?' }
					]
				},
				signal
			);
			if (!opened.ok) throw new Error(opened.error.message);
			await drain(opened);
			const kept = await listRefusedTexts(t.db, rule.rule.id, { limit: 10, beforeId: null });
			expect(kept).toMatchObject({
				ok: true,
				// What was screened: the text of every message, one per line.
				refusals: [
					{ username: 'scripter', source: 'api', text: 'Be brief.\nWhere is the Violet Harbour?' }
				]
			});
		} finally {
			await setKeepRefusedText(t.db, false);
			await deletePolicyRule(t.db, rule.rule.id);
		}
	});
});
