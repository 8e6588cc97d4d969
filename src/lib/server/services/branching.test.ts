import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { regenerateReply, sendMessage, type ReplyDeps } from '$lib/server/services/chat';
import { createConversation, getConversation } from '$lib/server/services/conversations';
import { branchConversation } from '$lib/server/services/branching';

const deps: ReplyDeps = { defaultModel: async () => 'llama/default', enqueued: () => {} };

describe.each(DIALECTS)('branches on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let otherId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId, otherId] = (await insertUsers(t.db, 'u', 'o')) as [number, number];
	});
	afterAll(() => t.close());

	const finishAll = () =>
		Promise.all([
			t.db.updateTable('job').set({ state: 'done' }).execute(),
			t.db.updateTable('message').set({ status: 'done' }).where('status', '=', 'queued').execute()
		]);

	async function send(conversationId: number, content: string, parentId?: number | null) {
		const sent = await sendMessage(
			t.db,
			userId,
			conversationId,
			{ content, ...(parentId !== undefined ? { parentId } : {}) },
			deps
		);
		if (!sent.ok) throw new Error(sent.message);
		await finishAll();
		return sent;
	}

	it('an edited user message is a sibling of the original, with its own reply', async () => {
		const conv = await createConversation(t.db, userId, {});
		const first = await send(conv.id, 'first');
		const second = await send(conv.id, 'second');
		const edited = await send(conv.id, 'second, edited', second.message.parentId);
		expect(edited.message.parentId).toBe(first.reply.id);
		const full = await getConversation(t.db, userId, conv.id);
		const siblings = full!.messages.filter((m) => m.parentId === first.reply.id);
		expect(siblings.map((m) => m.content)).toEqual(['second', 'second, edited']);
	});

	it('regenerate adds a sibling reply to the same user message; the old reply stays', async () => {
		const conv = await createConversation(t.db, userId, {});
		const sent = await send(conv.id, 'question');
		await t.db
			.updateTable('message')
			.set({ content: 'answer one' })
			.where('id', '=', sent.reply.id)
			.execute();
		// Either the user message or the reply it got may be named.
		const again = await regenerateReply(t.db, userId, conv.id, { messageId: sent.reply.id }, deps);
		const third = await regenerateReply(
			t.db,
			userId,
			conv.id,
			{ messageId: sent.message.id },
			deps
		);
		if (!again.ok || !third.ok) throw new Error('regenerate failed');
		expect(again.reply.parentId).toBe(sent.message.id);
		expect(third.reply.parentId).toBe(sent.message.id);
		expect(again.job.state).toBe('queued');
		const full = await getConversation(t.db, userId, conv.id);
		const replies = full!.messages.filter((m) => m.parentId === sent.message.id);
		expect(replies).toHaveLength(3);
		expect(replies[0]!.content).toBe('answer one');
		await finishAll();
	});

	it("regenerate refuses another user's message and unknown conversations", async () => {
		const conv = await createConversation(t.db, userId, {});
		const sent = await send(conv.id, 'mine');
		const otherConv = await createConversation(t.db, otherId, {});
		expect(
			await regenerateReply(t.db, otherId, otherConv.id, { messageId: sent.message.id }, deps)
		).toMatchObject({ ok: false, code: 'invalid' });
		expect(
			await regenerateReply(t.db, otherId, conv.id, { messageId: sent.message.id }, deps)
		).toMatchObject({ ok: false, code: 'not_found' });
	});

	it('branch from here copies exactly the path, links it, and leaves the original alone', async () => {
		const conv = await createConversation(t.db, userId, {
			title: 'Trip',
			systemPrompt: 'be brief'
		});
		const a = await send(conv.id, 'a');
		const b = await send(conv.id, 'b');
		await send(conv.id, 'b2', a.reply.id); // a sibling branch that must not be copied
		await send(conv.id, 'c', b.reply.id);
		const before = await getConversation(t.db, userId, conv.id);

		const branched = await branchConversation(t.db, userId, conv.id, b.message.id);
		if (!branched.ok) throw new Error(branched.message);
		const copy = branched.conversation;
		expect(copy.id).not.toBe(conv.id);
		expect(copy.title).toBe('Trip (branch)');
		expect(copy.systemPrompt).toBe('be brief');
		expect(copy.branchOf).toEqual({ conversationId: conv.id, messageId: b.message.id });
		expect(copy.messages.map((m) => [m.role, m.content])).toEqual([
			['user', 'a'],
			['assistant', ''],
			['user', 'b']
		]);
		// A single chain: each copied message answers the one before it.
		expect(copy.messages[0]!.parentId).toBeNull();
		for (let i = 1; i < copy.messages.length; i++)
			expect(copy.messages[i]!.parentId).toBe(copy.messages[i - 1]!.id);
		expect(await getConversation(t.db, userId, conv.id)).toEqual(before);
	});

	it('branch refuses a message of another conversation or user', async () => {
		const conv = await createConversation(t.db, userId, {});
		const other = await createConversation(t.db, userId, {});
		const sent = await send(other.id, 'elsewhere');
		expect(await branchConversation(t.db, userId, conv.id, sent.message.id)).toMatchObject({
			ok: false,
			code: 'invalid'
		});
		expect(await branchConversation(t.db, otherId, other.id, sent.message.id)).toMatchObject({
			ok: false,
			code: 'not_found'
		});
	});
});
