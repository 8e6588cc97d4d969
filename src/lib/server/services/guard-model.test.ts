// Guard-model rules: a stub classifier answers safe, unsafe, nonsense or nothing at all; the call
// waits its turn on the provider's gate and is recorded in usage; and the real llama-server (whose
// generated model answers nonsense) goes through the same path to the "unparseable answer" case.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, insertUsers, type TestDatabase } from '../../../../tests/support/db';
import {
	startLlamaServer,
	TEST_MODEL_ALIAS,
	type LlamaServer
} from '../../../../tests/support/llama-server';
import {
	startAnthropicStub,
	startOpenAiStub,
	type StubServer
} from '../../../../tests/support/stub-providers';
import { ProviderRegistry } from '$lib/server/llm/registry';
import type { ProviderRecord } from '$lib/server/llm/types';
import {
	createPolicyRule,
	deletePolicyRule,
	judgeText,
	policyCounts,
	screenText,
	updatePolicyRule
} from '$lib/server/services/content-policy';
import {
	askGuardModel,
	parseGuardAnswer,
	type GuardContext
} from '$lib/server/services/guard-model';
import { createModelAlias } from '$lib/server/services/model-aliases';

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

describe('parseGuardAnswer', () => {
	it("reads Llama Guard's answers and nothing else", () => {
		expect(parseGuardAnswer('\n\nsafe')).toEqual({ verdict: 'safe' });
		expect(parseGuardAnswer('Safe.')).toEqual({ verdict: 'safe' });
		expect(parseGuardAnswer('unsafe\nS1,S10')).toEqual({
			verdict: 'unsafe',
			categories: ['S1', 'S10']
		});
		expect(parseGuardAnswer('unsafe')).toEqual({ verdict: 'unsafe', categories: [] });
		for (const nonsense of ['', 'I think this is fine', 'unsafely', 'safe enough', '\u0000'])
			expect(parseGuardAnswer(nonsense), nonsense).toBeNull();
	});
});

describe('guard-model rules against stub classifiers', () => {
	let t: TestDatabase;
	let openai: StubServer;
	let anthropic: StubServer;
	let providers: ProviderRegistry;
	let userId: number;
	let guard: GuardContext;
	const answer = (text: string) => {
		openai.behaviour = 'ok';
		openai.script = { text, chunkChars: 3, intervalMs: 1 };
	};

	beforeAll(async () => {
		t = await freshDatabase('sqlite');
		openai = await startOpenAiStub();
		anthropic = await startAnthropicStub();
		providers = new ProviderRegistry(async () => [
			record('oa', 'openai_compatible', `${openai.url}/v1`),
			record('claude', 'anthropic', anthropic.url)
		]);
		[userId] = (await insertUsers(t.db, 'guarded')) as [number];
		guard = { db: t.db, providers, userId, source: 'chat' };
	});
	afterAll(async () => {
		await openai?.close();
		await anthropic?.close();
		await t?.close();
	});

	async function guardRule(pattern: string, options: { failClosed?: boolean } = {}) {
		const rule = await createPolicyRule(t.db, {
			name: `Guard ${pattern}`,
			kind: 'guard',
			pattern,
			message: 'The guard model said no.',
			...options
		});
		if (!rule.ok) throw new Error(rule.message);
		return rule.rule;
	}

	it('refuses what the classifier calls unsafe, lets safe text through, and records its usage', async () => {
		const rule = await guardRule('oa/llama-guard-3');
		expect(rule).toMatchObject({ kind: 'guard', failClosed: false, screenReplies: false });
		try {
			answer('safe');
			expect(await screenText(t.db, 'How do I bake bread?', Date.now(), guard)).toBeNull();
			const sent = openai.requests.at(-1)!.body as Record<string, unknown>;
			expect(sent).toMatchObject({
				model: 'llama-guard-3',
				messages: [{ role: 'user', content: 'How do I bake bread?' }],
				temperature: 0
			});

			answer('unsafe\nS1');
			expect(await screenText(t.db, 'something awful', Date.now(), guard)).toEqual({
				ruleId: rule.id,
				message: 'The guard model said no.'
			});
			expect((await policyCounts(t.db)).find((c) => c.ruleId === rule.id)?.count).toBe(1);
			const usage = await t.db
				.selectFrom('usage_event')
				.selectAll()
				.where('user_id', '=', userId)
				.where('model', '=', 'llama-guard-3')
				.execute();
			expect(usage).toHaveLength(2);
			expect(usage[0]).toMatchObject({ provider: 'oa', source: 'chat' });
		} finally {
			await deletePolicyRule(t.db, rule.id);
		}
	});

	it('on an unparseable answer lets the text through, or refuses when the rule fails closed', async () => {
		const open = await guardRule('oa/guard-open');
		try {
			answer('Well, it depends on what you mean.');
			expect(await screenText(t.db, 'hello', Date.now(), guard)).toBeNull();
			await deletePolicyRule(t.db, open.id);
			const closed = await guardRule('oa/guard-closed', { failClosed: true });
			expect(closed.failClosed).toBe(true);
			expect(await screenText(t.db, 'hello', Date.now(), guard)).toMatchObject({
				ruleId: closed.id
			});
			// Upstream errors are no verdict either.
			openai.behaviour = 'status500';
			expect(await screenText(t.db, 'hello', Date.now(), guard)).toMatchObject({
				ruleId: closed.id
			});
			// Without a registry (no guard context) a fail-closed rule refuses, too.
			expect(await judgeText(t.db, { kind: 'prompt', text: 'hello' })).toMatchObject({
				ruleId: closed.id
			});
			await deletePolicyRule(t.db, closed.id);
		} finally {
			await deletePolicyRule(t.db, open.id);
		}
	});

	it('gives up on a classifier that never answers, after its timeout', async () => {
		anthropic.behaviour = 'slowFirstToken';
		const open = await guardRule('claude/slow-guard');
		try {
			const quick = { ...guard, timeoutMs: 200 };
			expect(
				await askGuardModel(quick, 'claude/slow-guard', [{ role: 'user', content: 'hi' }])
			).toEqual({ verdict: 'none', reason: 'timed out' });
			expect(await screenText(t.db, 'hi', Date.now(), quick)).toBeNull();
		} finally {
			await deletePolicyRule(t.db, open.id);
		}
		const closed = await guardRule('claude/slow-guard', { failClosed: true });
		try {
			expect(await screenText(t.db, 'hi', Date.now(), { ...guard, timeoutMs: 200 })).toMatchObject({
				ruleId: closed.id
			});
		} finally {
			await deletePolicyRule(t.db, closed.id);
		}
	});

	it("waits for a slot on the provider's gate like any reply", async () => {
		answer('safe');
		const provider = (await providers.get('oa'))!;
		const slots = await provider.concurrency();
		const holders = await Promise.all(
			Array.from({ length: slots }, () => providers.acquire(provider, 'chat-user'))
		);
		const before = openai.requests.length;
		const verdict = askGuardModel(guard, 'oa/llama-guard-3', [{ role: 'user', content: 'hi' }]);
		const gate = () => providers.gateCounts().find((g) => g.provider === 'oa');
		await vi.waitFor(() => expect(gate()).toMatchObject({ running: slots, waiting: 1 }));
		expect(openai.requests.length).toBe(before);
		for (const release of holders) release();
		expect(await verdict).toEqual({ verdict: 'safe' });
		expect(gate()).toMatchObject({ running: 0, waiting: 0 });
	});

	it('asks through an alias, with its system prompt as the classifier instructions', async () => {
		const alias = await createModelAlias(t.db, {
			name: 'house-guard',
			target: 'oa/plain-model',
			systemPrompt: 'Answer "safe" or "unsafe" and the categories.'
		});
		if (!alias.ok) throw new Error(alias.message);
		answer('unsafe\nS2');
		expect(
			await askGuardModel(guard, 'house-guard', [{ role: 'user', content: 'rob a bank' }])
		).toEqual({ verdict: 'unsafe', categories: ['S2'] });
		expect(openai.requests.at(-1)!.body).toMatchObject({
			model: 'plain-model',
			messages: [
				{ role: 'system', content: 'Answer "safe" or "unsafe" and the categories.' },
				{ role: 'user', content: 'rob a bank' }
			]
		});
	});

	it('judges a finished reply with the exchange as turns, only for rules that screen replies', async () => {
		const rule = await guardRule('oa/reply-guard');
		try {
			answer('unsafe\nS9');
			const exchange = { kind: 'reply' as const, prompt: 'Q?', reply: 'A dangerous answer.' };
			const before = openai.requests.length;
			expect(await judgeText(t.db, exchange, guard)).toBeNull();
			expect(openai.requests.length).toBe(before);
			await updatePolicyRule(t.db, rule.id, { screenReplies: true });
			expect(await judgeText(t.db, exchange, guard)).toMatchObject({ ruleId: rule.id });
			expect(openai.requests.at(-1)!.body).toMatchObject({
				model: 'reply-guard',
				messages: [
					{ role: 'user', content: 'Q?' },
					{ role: 'assistant', content: 'A dangerous answer.' }
				]
			});
		} finally {
			await deletePolicyRule(t.db, rule.id);
		}
	});

	it('refuses a guard rule without a model reference', async () => {
		const bad = await createPolicyRule(t.db, {
			name: 'No model',
			kind: 'guard',
			pattern: 'two words',
			message: 'x'
		});
		expect(bad).toMatchObject({ ok: false, code: 'invalid' });
	});
});

describe('a guard-model rule against the real llama-server', () => {
	let t: TestDatabase;
	let llama: LlamaServer;
	let guard: GuardContext;
	let userId: number;

	beforeAll(async () => {
		t = await freshDatabase('sqlite');
		llama = await startLlamaServer();
		const providers = new ProviderRegistry(async () => [
			{ ...record('llama', 'llamacpp', llama.url), apiKey: null }
		]);
		[userId] = (await insertUsers(t.db, 'local')) as [number];
		guard = { db: t.db, providers, userId, source: 'api' };
	}, 120_000);
	afterAll(async () => {
		await llama?.stop();
		await t?.close();
	});

	it('asks the model and treats its (random) answer as no verdict', async () => {
		const ref = `llama/${TEST_MODEL_ALIAS}`;
		expect(await askGuardModel(guard, ref, [{ role: 'user', content: 'Is this fine?' }])).toEqual({
			verdict: 'none',
			reason: 'unparseable answer'
		});
		const rule = await createPolicyRule(t.db, {
			name: 'Local guard',
			kind: 'guard',
			pattern: ref,
			message: 'Refused by the local guard.',
			failClosed: true
		});
		if (!rule.ok) throw new Error(rule.message);
		expect(await screenText(t.db, 'Is this fine?', Date.now(), guard)).toMatchObject({
			ruleId: rule.rule.id
		});
		const usage = await t.db
			.selectFrom('usage_event')
			.selectAll()
			.where('user_id', '=', userId)
			.execute();
		expect(usage).toHaveLength(2);
		expect(usage[0]).toMatchObject({ provider: 'llama', model: TEST_MODEL_ALIAS, source: 'api' });
		expect(usage[0]!.completion_tokens).toBeGreaterThan(0);
	});
});
