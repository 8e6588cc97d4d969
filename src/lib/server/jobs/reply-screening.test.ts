// The content policy on finished chat replies, through the real runner: a breaking reply is stored
// as the rule's refusal (the original is not kept), and a guard model on the reply's own provider
// gets the slot the reply gave back — with one slot, it would otherwise wait for itself.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freshDatabase, insertUsers, type TestDatabase } from '../../../../tests/support/db';
import type { StubServer } from '../../../../tests/support/stub-providers';
import { startStubRunner, type StubRunner } from '../../../../tests/support/stub-runner';
import type { JobRunner } from '$lib/server/jobs/runner';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import { sendMessage } from '$lib/server/services/chat';
import {
	createPolicyRule,
	deletePolicyRule,
	policyCounts
} from '$lib/server/services/content-policy';
import { createConversation } from '$lib/server/services/conversations';

describe('reply screening in the chat', () => {
	let t: TestDatabase;
	let stub: StubServer;
	let runner: JobRunner;
	let providers: ProviderRegistry;
	let userId: number;
	let stubRunner: StubRunner | undefined;

	beforeAll(async () => {
		t = await freshDatabase('sqlite');
		[userId] = (await insertUsers(t.db, 'screened')) as [number];
		({ stub, providers, runner } = stubRunner = await startStubRunner(t.db, {
			record: { apiKey: 'sk-test-0000', maxConcurrency: 1 }
		}));
		stub.script = { text: 'safe', chunkChars: 2, intervalMs: 1 };
	});
	afterAll(async () => {
		await stubRunner?.stop();
		await t?.close();
	});

	async function reply(content: string) {
		const conversation = await createConversation(t.db, userId, {});
		const sent = await sendMessage(
			t.db,
			userId,
			conversation.id,
			{ content, model: 'stub/chat-model' },
			{ defaultModel: async () => 'stub/chat-model', enqueued: () => runner.wake(), providers }
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

	it('replaces a breaking reply with the refusal and keeps no trace of it', async () => {
		const rule = await createPolicyRule(t.db, {
			name: 'No safes',
			kind: 'keyword',
			pattern: 'safe',
			message: 'Replies about safes are withheld.',
			screenReplies: true
		});
		if (!rule.ok) throw new Error(rule.message);
		try {
			const row = await reply('Tell me about locks');
			expect(row).toMatchObject({
				status: 'done',
				content: 'Replies about safes are withheld.',
				finish_reason: 'content_filter'
			});
			const job = await t.db
				.selectFrom('job')
				.selectAll()
				.where('assistant_message_id', '=', row.id)
				.executeTakeFirstOrThrow();
			expect(job.partial_text).toBe('');
			expect((await policyCounts(t.db)).find((c) => c.ruleId === rule.rule.id)?.count).toBe(1);
		} finally {
			await deletePolicyRule(t.db, rule.rule.id);
		}
	});

	it("asks a guard model on the reply's own one-slot provider once the reply has let go", async () => {
		const rule = await createPolicyRule(t.db, {
			name: 'Guard',
			kind: 'guard',
			pattern: 'stub/guard-model',
			message: 'The guard refused.',
			failClosed: true,
			screenReplies: true
		});
		if (!rule.ok) throw new Error(rule.message);
		try {
			const row = await reply('Hello');
			// The guard answered "safe" twice (the message, then the exchange); a guard that had
			// waited for the reply's own slot would have timed out and, failing closed, refused.
			expect(row).toMatchObject({ status: 'done', content: 'safe' });
			const asked = stub.requests
				.map((r) => r.body as { model: string; messages: { role: string }[] })
				.filter((b) => b.model === 'guard-model');
			expect(asked.map((b) => b.messages.map((m) => m.role))).toEqual([
				['user'],
				['user', 'assistant']
			]);
		} finally {
			await deletePolicyRule(t.db, rule.rule.id);
		}
	});
});
