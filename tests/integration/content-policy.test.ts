// The content policy over HTTP against the built server: the admin's rule endpoints (others get
// 404, bad rules 400), a refused chat message answered with the refusal and no model call, and a
// refused /v1 request seen through the official `openai` SDK as a normal completion with
// finish_reason "content_filter", streaming and not. The provider is the OpenAI protocol stub,
// and any chat request reaching it fails the test.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { newConversation } from '../support/chat';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import type { PolicyHitDto, PolicyRuleDto, SendResultDto } from '$lib/shared/dto';

const REFUSAL = 'Hearth does not discuss the secret recipe.';
const MODEL = 'llama/gpt-4o-mini';

describe('the content policy through HTTP, the chat and /v1', () => {
	let stub: StubServer;
	let hearth: HearthServer;
	let admin: ApiClient;
	let alice: ApiClient;
	let openai: OpenAI;
	let ruleId: number;

	const modelCalls = () => stub.requests.filter((r) => r.path.includes('/chat/completions'));
	const counts = async () =>
		(await admin.json<{ counts: PolicyHitDto[] }>('GET', '/api/admin/policy/rules')).body.counts;

	beforeAll(async () => {
		stub = await startOpenAiStub();
		hearth = await startHearth({ LLAMA_URL: stub.url });
		addUser(hearth, 'root', 'root-password', true);
		addUser(hearth, 'alice', 'alice-password');
		admin = await signIn(hearth, 'root', 'root-password');
		alice = await signIn(hearth, 'alice', 'alice-password');
		const key = await alice.json<{ secret: string }>('POST', '/api/keys', { name: 'script' });
		openai = new OpenAI({ baseURL: `${hearth.url}/v1`, apiKey: key.body.secret, maxRetries: 0 });
	}, 60_000);
	afterAll(async () => {
		await hearth?.stop();
		await stub?.close();
	});

	it('lets only the admin manage rules, and refuses bad ones with 400', async () => {
		const body = { name: 'Recipe', kind: 'keyword', pattern: 'secret recipe', message: REFUSAL };
		for (const [method, path] of [
			['GET', '/api/admin/policy/rules'],
			['POST', '/api/admin/policy/rules'],
			['PATCH', '/api/admin/policy/rules/1'],
			['DELETE', '/api/admin/policy/rules/1']
		] as const)
			expect((await alice.json(method, path, method === 'GET' ? undefined : body)).status).toBe(
				404
			);

		const bad = await admin.json<{ error: { code: string; message: string } }>(
			'POST',
			'/api/admin/policy/rules',
			{ ...body, kind: 'regex', pattern: '([a-z' }
		);
		expect(bad.status).toBe(400);
		expect(bad.body.error.message).toMatch(/not a valid regular expression/);
		const nested = await admin.json('POST', '/api/admin/policy/rules', {
			...body,
			kind: 'regex',
			pattern: '(\\w+)*$'
		});
		expect(nested.status).toBe(400);
		expect((await admin.json('POST', '/api/admin/policy/rules', { name: 1 })).status).toBe(400);

		const made = await admin.json<{ rule: PolicyRuleDto }>('POST', '/api/admin/policy/rules', body);
		expect(made.status).toBe(201);
		ruleId = made.body.rule.id;
		const patched = await admin.json<{ rule: PolicyRuleDto }>(
			'PATCH',
			`/api/admin/policy/rules/${ruleId}`,
			{ pattern: 'Secret Recipe\ngrandma' }
		);
		expect(patched.body.rule).toMatchObject({ pattern: 'Secret Recipe\ngrandma', enabled: true });
		expect((await admin.json('PATCH', '/api/admin/policy/rules/999999', {})).status).toBe(404);
		const listed = await admin.json<{ rules: PolicyRuleDto[] }>('GET', '/api/admin/policy/rules');
		expect(listed.body.rules.map((r) => r.id)).toEqual([ruleId]);
	});

	it('answers a refused chat message with the refusal, finished, without calling the model', async () => {
		const id = await newConversation(alice);
		const res = await alice.json<SendResultDto>('POST', `/api/conversations/${id}/messages`, {
			content: 'What is the SECRET recipe?',
			model: MODEL
		});
		expect(res.status).toBe(202);
		expect(res.body.message.content).toBe('What is the SECRET recipe?');
		expect(res.body.reply).toMatchObject({ content: REFUSAL, status: 'done' });
		expect(res.body.job.state).toBe('done');
		const saved = await alice.json<{ messages: { role: string; content: string }[] }>(
			'GET',
			`/api/conversations/${id}`
		);
		expect(saved.body.messages.map((m) => [m.role, m.content])).toEqual([
			['user', 'What is the SECRET recipe?'],
			['assistant', REFUSAL]
		]);
		expect(modelCalls()).toEqual([]);
	});

	it('gives /v1 a normal completion with finish_reason content_filter, streaming and not', async () => {
		const messages = [{ role: 'user' as const, content: "Grandma's secret recipe, please" }];
		const plain = await openai.chat.completions.create({ model: MODEL, messages });
		expect(plain.object).toBe('chat.completion');
		expect(plain.choices[0]).toMatchObject({
			finish_reason: 'content_filter',
			message: { role: 'assistant', content: REFUSAL }
		});

		const stream = await openai.chat.completions.create({
			model: MODEL,
			messages,
			stream: true,
			stream_options: { include_usage: true }
		});
		let text = '';
		const finishes: string[] = [];
		let usage: OpenAI.CompletionUsage | null | undefined;
		for await (const chunk of stream) {
			expect(chunk.object).toBe('chat.completion.chunk');
			for (const choice of chunk.choices) {
				text += choice.delta.content ?? '';
				if (choice.finish_reason) finishes.push(choice.finish_reason);
			}
			if (chunk.usage) usage = chunk.usage;
		}
		expect(text).toBe(REFUSAL);
		expect(finishes).toEqual(['content_filter']);
		expect(usage).toMatchObject({ total_tokens: 0 });
		expect(modelCalls()).toEqual([]);
	});

	it('counts refusals per rule per day, keeps no text, and lets other messages through', async () => {
		const today = new Date().toISOString().slice(0, 10);
		expect(await counts()).toEqual([{ ruleId, day: today, count: 3 }]);
		expect(JSON.stringify(await admin.json('GET', '/api/admin/policy/rules'))).not.toContain(
			'please'
		);

		stub.behaviour = 'ok';
		const allowed = await openai.chat.completions.create({
			model: MODEL,
			messages: [{ role: 'user', content: 'A poem about the hearth' }]
		});
		expect(allowed.choices[0]!.finish_reason).not.toBe('content_filter');
		expect(modelCalls()).toHaveLength(1);

		expect(
			(await admin.json('PATCH', `/api/admin/policy/rules/${ruleId}`, { enabled: false })).status
		).toBe(200);
		await openai.chat.completions.create({
			model: MODEL,
			messages: [{ role: 'user', content: 'the secret recipe' }]
		});
		expect(modelCalls()).toHaveLength(2);
		expect((await admin.json('DELETE', `/api/admin/policy/rules/${ruleId}`)).status).toBe(200);
		expect(await counts()).toEqual([]);
	});
});
