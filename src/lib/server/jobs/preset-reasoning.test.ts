// A preset's reasoning level checked where it lands: at the model server. OpenAI's own adapter
// (pointed at the OpenAI protocol stub, which records each request) runs chats started from a
// preset, as the client applies one and as "alias/<name>" names a shared one; /v1 requests on a
// shared preset carry its level too. "off" is said the way each model family takes it.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, insertUsers, type TestDatabase } from '../../../../tests/support/db';
import { startOpenAiStub, type StubServer } from '../../../../tests/support/stub-providers';
import { JobBus } from '$lib/server/jobs/bus';
import { JobRunner } from '$lib/server/jobs/runner';
import { ProviderRegistry } from '$lib/server/llm/registry';
import { sendMessage } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';
import { createPreset } from '$lib/server/services/prompts';
import { openChatCompletion } from '$lib/server/services/v1-chat';
import type { PresetDto } from '$lib/shared/dto';

describe('a preset’s reasoning level at an OpenAI model server', () => {
	let t: TestDatabase;
	let stub: StubServer;
	let runner: JobRunner;
	let providers: ProviderRegistry;
	let userId: number;
	let admin: { id: number; role: 'admin' };

	beforeAll(async () => {
		t = await freshDatabase('sqlite');
		const [u, a] = (await insertUsers(t.db, 'thinker', 'root')) as [number, number];
		userId = u;
		admin = { id: a, role: 'admin' };
		stub = await startOpenAiStub();
		providers = new ProviderRegistry(async () => [
			{
				id: 'oa',
				kind: 'openai',
				name: 'OpenAI',
				baseUrl: `${stub.url}/v1`,
				apiKey: 'sk-test-key-0000',
				allowInternal: true,
				maxConcurrency: null,
				enabledModels: [],
				source: 'admin'
			}
		]);
		const log = pino({ level: 'silent' });
		runner = new JobRunner({ db: t.db, providers, bus: new JobBus(), log });
		await runner.start({ recoverAll: true });
	});
	afterAll(async () => {
		await runner?.stop();
		await stub?.close();
		await t?.close();
	});

	async function preset(name: string, model: string, reasoning: PresetDto['reasoning']) {
		const made = await createPreset(t.db, admin, { name, model, reasoning, shared: true });
		if (!made.ok) throw new Error(made.message);
		return made.value;
	}

	/** Sends one message and returns the body the model server received for its reply. */
	async function replyBody(conversationId: number, model?: string) {
		const before = stub.requests.length;
		const sent = await sendMessage(
			t.db,
			userId,
			conversationId,
			{ content: 'Think about it.', ...(model ? { model } : {}) },
			{ defaultModel: async () => 'oa/gpt-4o-mini', enqueued: () => runner.wake() }
		);
		if (!sent.ok) throw new Error(sent.message);
		await vi.waitFor(
			async () => {
				const row = await t.db
					.selectFrom('message')
					.select('status')
					.where('id', '=', sent.reply.id)
					.executeTakeFirstOrThrow();
				expect(row.status).toBe('done');
			},
			{ timeout: 10_000, interval: 20 }
		);
		const chats = stub.requests.slice(before).filter((r) => r.path.endsWith('/chat/completions'));
		return chats.at(-1)!.body as Record<string, unknown>;
	}

	/** A conversation as the client sets one up from a preset (applyPreset). */
	const startedFrom = (p: PresetDto) =>
		createConversation(t.db, userId, {
			model: p.model!,
			settings: { reasoning: p.reasoning ?? undefined, preset: p.name },
			systemPrompt: p.systemPrompt
		});

	it('sends the level as reasoning_effort for a chat started from a preset', async () => {
		const low = await preset('Low thinker', 'oa/gpt-5.1', 'low');
		const body = await replyBody((await startedFrom(low)).id);
		expect(body).toMatchObject({ model: 'gpt-5.1', reasoning_effort: 'low' });
	});

	it('says "off" as each family takes it: none from gpt-5.1, minimal on gpt-5, nothing on o-series', async () => {
		for (const [model, expected] of [
			['oa/gpt-5.1', 'none'],
			['oa/gpt-5-mini', 'minimal'],
			['oa/o4-mini', undefined]
		] as const) {
			const off = await preset(`Off ${model.slice(3)}`, model, 'off');
			const body = await replyBody((await startedFrom(off)).id);
			expect(body.model).toBe(model.slice(3));
			expect(body.reasoning_effort).toBe(expected);
		}
	});

	it('sends a shared preset’s level for "alias/<name>" and for /v1, and none to a model without reasoning', async () => {
		await preset('House high', 'oa/o4-mini', 'high');
		await preset('House plain', 'oa/gpt-4o-mini', 'high');
		const conv = await createConversation(t.db, userId, {});
		expect(await replyBody(conv.id, 'alias/House high')).toMatchObject({
			model: 'o4-mini',
			reasoning_effort: 'high'
		});
		expect(await replyBody(conv.id, 'alias/House plain')).not.toHaveProperty('reasoning_effort');

		const key = await t.db
			.insertInto('api_token')
			.values({ user_id: userId, name: 'ci', token_hash: 'x', last4: 'abcd', created_at: 0 })
			.returning('id')
			.executeTakeFirstOrThrow();
		const caller = {
			user: { id: userId, username: 'thinker', role: 'user' as const },
			key: { id: key.id, name: 'ci', rateLimitPerMinute: null, saveHistory: false }
		};
		const before = stub.requests.length;
		const opened = await openChatCompletion(
			{ db: t.db, providers },
			caller,
			{ model: 'House high', messages: [{ role: 'user', content: 'Hi' }] },
			new AbortController().signal
		);
		if (!opened.ok) throw new Error(opened.error.message);
		for await (const _event of opened.events);
		const sent = stub.requests.slice(before).at(-1)!.body as Record<string, unknown>;
		expect(sent).toMatchObject({ model: 'o4-mini', reasoning_effort: 'high' });
	});
});
