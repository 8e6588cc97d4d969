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
import { newConversation, send, settledReply } from '../support/chat';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import type { PolicyHitDto, PolicyRefusalDto, PolicyRuleDto, SendResultDto } from '$lib/shared/dto';

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

	it('screens finished replies when a rule says so: the chat and /v1 get the refusal', async () => {
		stub.behaviour = 'ok';
		const WITHHELD = 'That reply was withheld.';
		const created = await admin.json<{ rule: PolicyRuleDto }>('POST', '/api/admin/policy/rules', {
			name: 'No stubs',
			kind: 'keyword',
			pattern: 'from the stub',
			message: WITHHELD,
			screenReplies: true
		});
		expect(created.status).toBe(201);
		expect(created.body.rule).toMatchObject({ screenReplies: true, failClosed: false });
		const id = await newConversation(alice);
		const sent = await send(alice, id, 40, { model: MODEL });
		expect(sent.reply.status).toBe('queued');
		const reply = await settledReply(alice, id, sent.reply.id);
		expect(reply).toMatchObject({ status: 'done', content: WITHHELD });
		expect(JSON.stringify(await alice.json('GET', `/api/conversations/${id}`))).not.toContain(
			'from the stub'
		);

		const stream = await openai.chat.completions.create({
			model: MODEL,
			messages: [{ role: 'user', content: 'Say hello' }],
			stream: true,
			stream_options: { include_usage: true }
		});
		let text = '';
		const finishes: string[] = [];
		let usage: OpenAI.CompletionUsage | null | undefined;
		for await (const chunk of stream) {
			for (const choice of chunk.choices) {
				text += choice.delta.content ?? '';
				if (choice.finish_reason) finishes.push(choice.finish_reason);
			}
			if (chunk.usage) usage = chunk.usage;
		}
		expect(text).toBe(WITHHELD);
		expect(finishes).toEqual(['content_filter']);
		// The model did run: its tokens are counted.
		expect(usage?.completion_tokens).toBeGreaterThan(0);
		const today = new Date().toISOString().slice(0, 10);
		expect(await counts()).toEqual([{ ruleId: created.body.rule.id, day: today, count: 2 }]);
		expect(
			(await admin.json('DELETE', `/api/admin/policy/rules/${created.body.rule.id}`)).status
		).toBe(200);
	});

	it('takes a guard-model rule over HTTP and refuses a bad one', async () => {
		const bad = await admin.json('POST', '/api/admin/policy/rules', {
			name: 'Guard',
			kind: 'guard',
			pattern: 'not a model',
			message: 'No.'
		});
		expect(bad.status).toBe(400);
		const created = await admin.json<{ rule: PolicyRuleDto }>('POST', '/api/admin/policy/rules', {
			name: 'Guard',
			kind: 'guard',
			pattern: 'llama/llama-guard',
			message: 'The guard said no.',
			failClosed: true
		});
		expect(created.status).toBe(201);
		// The stub answers prose, not a verdict: the rule fails closed.
		const refused = await openai.chat.completions.create({
			model: MODEL,
			messages: [{ role: 'user', content: 'Hello there' }]
		});
		expect(refused.choices[0]).toMatchObject({
			finish_reason: 'content_filter',
			message: { content: 'The guard said no.' }
		});
		const asked = modelCalls().at(-1)!.body as { model: string; temperature: number };
		expect(asked).toMatchObject({ model: 'llama-guard', temperature: 0 });
		expect(
			(await admin.json('DELETE', `/api/admin/policy/rules/${created.body.rule.id}`)).status
		).toBe(200);
	});

	it('keeps refused texts only while the admin says so: chat and /v1, paged, gone when off', async () => {
		type Page = { refusals: PolicyRefusalDto[]; nextBeforeId: number | null };
		const made = await admin.json<{ rule: PolicyRuleDto }>('POST', '/api/admin/policy/rules', {
			name: 'Lagoon',
			kind: 'keyword',
			pattern: 'blue lagoon',
			message: 'Not the lagoon.'
		});
		const id = made.body.rule.id;
		const refusals = (query = '') =>
			admin.json<Page>('GET', `/api/admin/policy/rules/${id}/refusals${query}`);
		const settings = (body: unknown, client = admin) =>
			client.json<{ keepRefusedText: boolean }>('PUT', '/api/admin/policy/settings', body);
		const refuseInChat = async (content: string) => {
			const conversation = await newConversation(alice);
			const res = await alice.json<SendResultDto>(
				'POST',
				`/api/conversations/${conversation}/messages`,
				{ content, model: MODEL }
			);
			expect(res.body.reply).toMatchObject({ content: 'Not the lagoon.', status: 'done' });
		};

		// Others get 404; bad input 400; an unknown rule 404.
		expect((await settings({ keepRefusedText: true }, alice)).status).toBe(404);
		expect((await alice.json('GET', `/api/admin/policy/rules/${id}/refusals`)).status).toBe(404);
		for (const bad of [{}, { keepRefusedText: 'yes' }, { keepRefusedText: true, more: 1 }])
			expect((await settings(bad)).status, JSON.stringify(bad)).toBe(400);
		for (const query of ['?limit=0', '?limit=101', '?limit=x', '?before=abc', '?before=-1'])
			expect((await refusals(query)).status, query).toBe(400);
		expect((await admin.json('GET', '/api/admin/policy/rules/999999/refusals')).status).toBe(404);

		// Off (the default): counted, not kept.
		expect(
			(await admin.json<{ keepRefusedText: boolean }>('GET', '/api/admin/policy/rules')).body
				.keepRefusedText
		).toBe(false);
		await refuseInChat('the blue lagoon while off');
		expect((await refusals()).body).toEqual({ refusals: [], nextBeforeId: null });

		// On: the chat and /v1 refusals are kept with their sender, newest first.
		expect((await settings({ keepRefusedText: true })).body).toEqual({ keepRefusedText: true });
		await refuseInChat('the blue lagoon in the chat');
		const completion = await openai.chat.completions.create({
			model: MODEL,
			messages: [{ role: 'user', content: 'Blue Lagoon from a script' }]
		});
		expect(completion.choices[0]!.finish_reason).toBe('content_filter');
		const listed = await refusals();
		expect(listed.status).toBe(200);
		expect(listed.body.refusals.map((r) => [r.username, r.source, r.text])).toEqual([
			['alice', 'api', 'Blue Lagoon from a script'],
			['alice', 'chat', 'the blue lagoon in the chat']
		]);
		const first = await refusals('?limit=1');
		expect(first.body).toEqual({
			refusals: [listed.body.refusals[0]],
			nextBeforeId: listed.body.refusals[0]!.id
		});
		expect((await refusals(`?limit=1&before=${first.body.nextBeforeId}`)).body).toEqual({
			refusals: [listed.body.refusals[1]],
			nextBeforeId: null
		});
		expect(modelCalls().some((r) => JSON.stringify(r.body).includes('agoon'))).toBe(false);

		// Off again: every kept text is deleted at once.
		expect((await settings({ keepRefusedText: false })).body).toEqual({ keepRefusedText: false });
		expect((await refusals()).body).toEqual({ refusals: [], nextBeforeId: null });
		expect((await admin.json('DELETE', `/api/admin/policy/rules/${id}`)).status).toBe(200);
	});
});
