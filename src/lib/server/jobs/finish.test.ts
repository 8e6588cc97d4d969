import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import { sendMessage } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';
import { INTERRUPTED_MESSAGE, NEVER_STARTED_MESSAGE, recoverJob } from '$lib/server/jobs/finish';
import { findJob } from '$lib/server/repos/jobs';
import pino from 'pino';
import { JobBus } from '$lib/server/jobs/bus';
import { JobRunner } from '$lib/server/jobs/runner';
import { CHARS_PER_TOKEN } from '$lib/server/jobs/usage-estimate';
import { ProviderRegistry } from '$lib/server/llm/registry';

describe.each(DIALECTS)('restart recovery on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		userId = (
			await t.db
				.insertInto('user')
				.values({ username: 'u', password_hash: 'x', role: 'user', created_at: 0, updated_at: 0 })
				.returning('id')
				.executeTakeFirstOrThrow()
		).id;
	});
	afterAll(() => t.close());

	async function runningJob(partial: string, attempts = 1) {
		const conv = await createConversation(t.db, userId, {});
		const sent = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: 'hi', parentId: null },
			{ defaultModel: async () => 'llama/m', enqueued: () => {} }
		);
		if (!sent.ok) throw new Error(sent.message);
		await t.db
			.updateTable('job')
			.set({ state: 'running', attempts, partial_text: partial, heartbeat_at: 0 })
			.where('id', '=', sent.job.id)
			.execute();
		await t.db
			.updateTable('message')
			.set({ status: 'streaming' })
			.where('id', '=', sent.reply.id)
			.execute();
		return { jobId: sent.job.id, replyId: sent.reply.id };
	}
	const reply = (id: number) =>
		t.db.selectFrom('message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

	it('re-queues a job that had streamed nothing (nothing reached the user, nothing to duplicate)', async () => {
		const { jobId, replyId } = await runningJob('');
		expect(await recoverJob(t.db, (await findJob(t.db, jobId))!, 3)).toBe('requeued');
		expect(await findJob(t.db, jobId)).toMatchObject({ state: 'queued', claimed_by: null });
		expect(await reply(replyId)).toMatchObject({ status: 'queued', content: '' });
	});

	it('ends a job with partial text as interrupted, keeping the text', async () => {
		const { jobId, replyId } = await runningJob('The fire was');
		expect(await recoverJob(t.db, (await findJob(t.db, jobId))!, 3)).toBe('interrupted');
		expect(await findJob(t.db, jobId)).toMatchObject({
			state: 'interrupted',
			partial_text: '',
			error_code: 'interrupted'
		});
		expect(await reply(replyId)).toMatchObject({
			status: 'interrupted',
			content: 'The fire was',
			error: INTERRUPTED_MESSAGE
		});
	});

	it('gives up re-running a job that keeps dying before its first token', async () => {
		const { jobId, replyId } = await runningJob('', 3);
		expect(await recoverJob(t.db, (await findJob(t.db, jobId))!, 3)).toBe('interrupted');
		expect((await findJob(t.db, jobId))?.state).toBe('interrupted');
		// No "text so far is kept" promise over an empty reply (the crash-loop fault case showed it).
		expect(await reply(replyId)).toMatchObject({
			status: 'interrupted',
			content: '',
			error: NEVER_STARTED_MESSAGE
		});
	});

	it('starts without waiting for the model server to count an interrupted reply (it may be hung)', async () => {
		const { jobId } = await runningJob('The kettle sang.');
		let answer!: () => void;
		const hung = new Promise<void>((resolve) => (answer = resolve));
		const runner = new JobRunner({
			db: t.db,
			providers: new ProviderRegistry(async () => {
				await hung;
				return [];
			}),
			bus: new JobBus(),
			log: pino({ level: 'silent' })
		});
		let started = false;
		void runner.start({ recoverAll: true }).then(() => (started = true));
		// Before: start() waited for the count (13 s with llama-server SIGSTOPped and 2 replies).
		await vi.waitFor(() => expect(started).toBe(true));
		// Recovered before the start ended, tokens counted from the text's length.
		expect((await findJob(t.db, jobId))?.state).toBe('interrupted');
		answer();
		await runner.stop();
	});

	it('records the tokens an interrupted reply used, counted and marked as estimated', async () => {
		const partial = 'The fire was warm and the kettle sang.';
		const { jobId, replyId } = await runningJob(partial);
		// The provider is gone too: the tokens are counted from the text's length.
		const runner = new JobRunner({
			db: t.db,
			providers: new ProviderRegistry(async () => []),
			bus: new JobBus(),
			log: pino({ level: 'silent' })
		});
		await runner.start({ recoverAll: true });
		await runner.stop();
		expect((await findJob(t.db, jobId))?.state).toBe('interrupted');
		const usage = await t.db
			.selectFrom('usage_event')
			.selectAll()
			.where('job_id', '=', jobId)
			.executeTakeFirstOrThrow();
		expect(usage).toMatchObject({
			message_id: replyId,
			prompt_tokens: Math.ceil('hi'.length / CHARS_PER_TOKEN),
			completion_tokens: Math.ceil(partial.length / CHARS_PER_TOKEN),
			estimated: 1
		});
		// The reply itself shows only what a provider reported.
		expect(await reply(replyId)).toMatchObject({ prompt_tokens: null, completion_tokens: null });
	});
});
