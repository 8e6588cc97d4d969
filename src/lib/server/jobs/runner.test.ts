// The job runner in-process against a real database and a stub upstream: what a hostile upstream
// says never carries the key into storage or logs, and a huge conversation sends a bounded body.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import {
	startOpenAiStub,
	type StubServer,
	stubProviderRecord
} from '../../../../tests/support/stub-providers';
import { startStubRunner, type StubRunner } from '../../../../tests/support/stub-runner';
import { JobBus } from '$lib/server/jobs/bus';
import { MAX_HISTORY_CHARS } from '$lib/server/jobs/history';
import { JobRunner } from '$lib/server/jobs/runner';
import { ProviderRegistry } from '$lib/server/llm/registry';
import { sendMessage } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';

const KEY = 'sk-proj-RunnerSecretKey0123456789abcdef';

describe.each(DIALECTS)('job runner on %s', (dialect) => {
	let t: TestDatabase;
	let stub: StubServer;
	let runner: JobRunner;
	let providers: ProviderRegistry;
	let userId: number;
	let logs = '';

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId] = (await insertUsers(t.db, 'runner-user')) as [number];
		stub = await startOpenAiStub();
		providers = new ProviderRegistry(async () => [stubProviderRecord(stub, { apiKey: KEY })]);
		const log = pino({ level: 'trace' }, { write: (line: string) => void (logs += line) });
		runner = new JobRunner({ db: t.db, providers, bus: new JobBus(), log });
		await runner.start({ recoverAll: true });
	});
	afterAll(async () => {
		await runner?.stop();
		await stub?.close();
		await t?.close();
	});

	async function reply(conversationId: number, content: string) {
		const sent = await sendMessage(
			t.db,
			userId,
			conversationId,
			{ content, model: 'stub/gpt-4o-mini' },
			{ defaultModel: async () => 'stub/gpt-4o-mini', enqueued: () => runner.wake() }
		);
		if (!sent.ok) throw new Error(sent.message);
		return vi.waitFor(
			async () => {
				const row = await t.db
					.selectFrom('message')
					.selectAll()
					.where('id', '=', sent.reply.id)
					.executeTakeFirstOrThrow();
				expect(['done', 'failed']).toContain(row.status);
				return row;
			},
			{ timeout: 10_000, interval: 20 }
		);
	}

	it('an upstream echoing the Authorization header: no key in the stored error, job, models or logs', async () => {
		stub.behaviour = 'echoKey';
		const conv = await createConversation(t.db, userId, {});
		const row = await reply(conv.id, 'hello');
		expect(stub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
		expect(row.status).toBe('failed');
		expect(row.error).toBe('Stub rejected the API key');
		const job = await t.db
			.selectFrom('job')
			.selectAll()
			.where('assistant_message_id', '=', row.id)
			.executeTakeFirstOrThrow();
		providers.invalidate();
		const models = await providers.models();
		expect(models[0]!.list).toMatchObject({ source: 'fallback', error: { code: 'auth' } });
		// The admin's detail is logged, redacted.
		expect(logs).toContain('reply failed upstream');
		expect(logs).toContain('[redacted]');
		for (const text of [JSON.stringify(row), JSON.stringify(job), JSON.stringify(models), logs]) {
			expect(text).not.toContain(KEY);
			expect(text).not.toContain(KEY.slice(8, -8));
		}
		stub.behaviour = 'ok';
	});

	it('a reply to a huge conversation sends a bounded body, with the system prompt and the newest message', async () => {
		stub.behaviour = 'ok';
		const conv = await createConversation(t.db, userId, { systemPrompt: 'You are the hearth.' });
		// 19 messages of 100k characters: just under the conversation cap, five times the history cap.
		let parent: number | null = null;
		for (let i = 0; i < 19; i++) {
			const now = Date.now();
			const inserted: { id: number } = await t.db
				.insertInto('message')
				.values({
					conversation_id: conv.id,
					user_id: userId,
					parent_id: parent,
					role: i % 2 === 0 ? 'user' : 'assistant',
					content: `${i} `.padEnd(100_000, 'w'),
					status: 'done',
					created_at: now,
					updated_at: now
				})
				.returning('id')
				.executeTakeFirstOrThrow();
			parent = inserted.id;
		}
		const before = stub.requests.length;
		const row = await reply(conv.id, 'The newest question');
		expect(row.status).toBe('done');
		const sent = stub.requests.slice(before).find((r) => r.path === '/v1/chat/completions')!;
		const body = sent.body as { messages: { role: string; content: string }[] };
		expect(JSON.stringify(body).length).toBeLessThanOrEqual(MAX_HISTORY_CHARS + 10_000);
		expect(body.messages[0]).toEqual({ role: 'system', content: 'You are the hearth.' });
		expect(body.messages.at(-1)).toEqual({ role: 'user', content: 'The newest question' });
		expect(body.messages.length).toBeGreaterThan(2);
	}, 60_000);
});

describe('job runner: a job enqueued here', () => {
	let t: TestDatabase;
	let stubRunner: StubRunner | undefined;
	let runner: JobRunner;

	beforeAll(async () => {
		t = await freshDatabase('sqlite');
		// The claim loop's poll never comes during the test: only `submit` can start the job.
		stubRunner = await startStubRunner(t.db, { limits: { pollMs: 3_600_000 } });
		runner = stubRunner.runner;
	});
	afterAll(async () => {
		await stubRunner?.stop();
		await t?.close();
	});

	it('is claimed and run at once by submit, without waiting for the claim loop', async () => {
		const [userId] = (await insertUsers(t.db, 'submit-user')) as [number];
		const conv = await createConversation(t.db, userId, {});
		const sent = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: 'hello', model: 'stub/m' },
			{ defaultModel: async () => 'stub/m', enqueued: () => {} }
		);
		if (!sent.ok) throw new Error(sent.message);
		runner.submit({ id: sent.job.id, provider: 'stub', user_id: userId });
		const row = await vi.waitFor(
			async () => {
				const job = await t.db
					.selectFrom('job')
					.selectAll()
					.where('id', '=', sent.job.id)
					.executeTakeFirstOrThrow();
				expect(job.state).toBe('done');
				return job;
			},
			{ timeout: 10_000, interval: 20 }
		);
		expect(row).toMatchObject({ attempts: 1, claimed_by: runner.instanceId });
	});
});
