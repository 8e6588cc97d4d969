// A reply that can start at once (its provider has a free slot and nobody waits) is inserted
// already claimed by this instance and handed to the runner in memory with the prompt's history
// read in the enqueue transaction; otherwise it is queued and claimed as before.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import type { StubServer } from '../../../../tests/support/stub-providers';
import { startStubRunner, type StubRunner } from '../../../../tests/support/stub-runner';
import type { JobRunner } from '$lib/server/jobs/runner';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import { findJob } from '$lib/server/repos/jobs';
import { replyDeps, sendMessage, type JobParams } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';
import { promptFor } from '$lib/server/services/prompt';

describe.each(DIALECTS)('a reply that starts at once, on %s', (dialect) => {
	let t: TestDatabase;
	let stub: StubServer;
	let runner: JobRunner;
	let providers: ProviderRegistry;
	let userId: number;
	let stubRunner: StubRunner | undefined;

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId] = (await insertUsers(t.db, 'fast-user')) as [number];
		({ stub, providers, runner } = stubRunner = await startStubRunner(t.db, {
			record: { maxConcurrency: 1 },
			limits: { pollMs: 3_600_000 }
		}));
	});
	afterAll(async () => {
		await stubRunner?.stop();
		await t?.close();
	});

	const deps = () => replyDeps(providers, runner, t.db);
	const send = async (conversationId: number, content: string, parentId?: number | null) => {
		const sent = await sendMessage(
			t.db,
			userId,
			conversationId,
			{ content, model: 'stub/m', ...(parentId === undefined ? {} : { parentId }) },
			deps()
		);
		if (!sent.ok) throw new Error(sent.message);
		return sent;
	};
	const settled = (jobId: number, state = 'done') =>
		vi.waitFor(
			async () => {
				const job = await findJob(t.db, jobId);
				expect(job?.state).toBe(state);
				return job!;
			},
			{ timeout: 10_000, interval: 20 }
		);
	const gate = () => providers.gateCounts().find((g) => g.provider === 'stub');

	it('is inserted running, claimed here, and sent the same prompt a later read would build', async () => {
		stub.behaviour = 'ok';
		const conv = await createConversation(t.db, userId, { systemPrompt: 'You are the hearth.' });
		const first = await send(conv.id, 'first question');
		await settled(first.job.id);
		const second = await send(conv.id, 'second question');
		await settled(second.job.id);
		// A branch from the first reply: the path skips the second turn.
		const before = stub.requests.length;
		const branch = await send(conv.id, 'a branch', first.reply.id);
		expect(branch.job.state).toBe('running'); // inserted so: no claim was needed
		const job = await settled(branch.job.id);
		expect(job).toMatchObject({ attempts: 1, claimed_by: runner.instanceId });
		const request = stub.requests.slice(before).find((r) => r.path === '/v1/chat/completions')!;
		const sentMessages = (request.body as { messages: unknown[] }).messages;
		const provider = (await providers.get('stub'))!;
		const read = await promptFor(t.db, job, JSON.parse(job.params) as JobParams, { provider });
		expect(read.ok && read.messages).toEqual(sentMessages);
		expect(sentMessages).toEqual([
			{ role: 'system', content: 'You are the hearth.' },
			{ role: 'user', content: 'first question' },
			{ role: 'assistant', content: 'Hello from the stub.' },
			{ role: 'user', content: 'a branch' }
		]);
		expect(gate()).toMatchObject({ running: 0, waiting: 0 });
	});

	it('a new root thread and a first message start at once too', async () => {
		const conv = await createConversation(t.db, userId, {});
		const first = await send(conv.id, 'hello');
		expect(first.job.state).toBe('running');
		await settled(first.job.id);
		const before = stub.requests.length;
		const root = await send(conv.id, 'a new thread', null);
		expect(root.job.state).toBe('running');
		await settled(root.job.id);
		const request = stub.requests.slice(before).find((r) => r.path === '/v1/chat/completions')!;
		expect((request.body as { messages: unknown[] }).messages).toEqual([
			{ role: 'user', content: 'a new thread' }
		]);
	});

	it('waits its turn (queued, then claimed) when the slot is taken, and gets it when it frees', async () => {
		const conv = await createConversation(t.db, userId, {});
		const provider = (await providers.get('stub'))!;
		const release = await providers.acquire(provider, 'someone-else');
		const sent = await send(conv.id, 'behind a busy slot');
		expect(sent.job.state).toBe('queued');
		try {
			await vi.waitFor(() => expect(gate()).toMatchObject({ running: 1, waiting: 1 }));
		} finally {
			release();
		}
		const job = await settled(sent.job.id);
		expect(job).toMatchObject({ attempts: 1, claimed_by: runner.instanceId });
	});

	it('gives the slot back when the send is refused in its transaction', async () => {
		const conv = await createConversation(t.db, userId, {});
		const refused = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: 'to nowhere', model: 'stub/m', parentId: 999_999 },
			deps()
		);
		expect(refused).toMatchObject({ ok: false, code: 'invalid' });
		expect(gate()).toMatchObject({ running: 0, waiting: 0 });
		const next = await send(conv.id, 'still starts at once');
		expect(next.job.state).toBe('running');
		await settled(next.job.id);
	});

	it('is cancelled like any running job', async () => {
		stub.behaviour = 'endless';
		const conv = await createConversation(t.db, userId, {});
		const sent = await send(conv.id, 'go on forever');
		expect(sent.job.state).toBe('running');
		await vi.waitFor(
			async () => expect((await findJob(t.db, sent.job.id))?.partial_text).not.toBe(''),
			{ timeout: 10_000, interval: 20 }
		);
		const cancelled = await runner.cancel(userId, sent.job.id);
		expect(cancelled?.state).toBe('cancelled');
		expect(gate()).toMatchObject({ running: 0, waiting: 0 });
		stub.behaviour = 'ok';
	});
});
