import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import {
	MAX_ACTIVE_JOBS_PER_USER,
	MAX_CONVERSATION_CHARS,
	MAX_CONVERSATION_MESSAGES,
	regenerateReply,
	sendMessage,
	type ReplyDeps
} from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';
import { messagePath } from '$lib/server/repos/messages';

const deps: ReplyDeps = { defaultModel: async () => 'llama/default', enqueued: () => {} };

describe.each(DIALECTS)('sending messages on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let otherId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId, otherId] = (await insertUsers(t.db, 'u', 'o')) as [number, number];
	});
	afterAll(() => t.close());

	const finishAll = () => t.db.updateTable('job').set({ state: 'done' }).execute();

	it('stores the message, a queued reply and its job together', async () => {
		const conv = await createConversation(t.db, userId, {});
		const sent = await sendMessage(t.db, userId, conv.id, { content: 'hello' }, deps);
		expect(sent).toMatchObject({
			ok: true,
			message: { role: 'user', content: 'hello', parentId: null },
			reply: { role: 'assistant', status: 'queued', model: 'llama/default' },
			job: { state: 'queued', model: 'llama/default' }
		});
		await finishAll();
	});

	it('walks branches: absent parent replies to the newest, null starts a root, an id branches', async () => {
		const conv = await createConversation(t.db, userId, {});
		const a = await sendMessage(t.db, userId, conv.id, { content: 'a' }, deps);
		const b = await sendMessage(t.db, userId, conv.id, { content: 'b' }, deps);
		if (!a.ok || !b.ok) throw new Error('send failed');
		expect(b.message.parentId).toBe(a.reply.id);
		const sibling = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: 'c', parentId: a.reply.id },
			deps
		);
		const root = await sendMessage(t.db, userId, conv.id, { content: 'd', parentId: null }, deps);
		if (!sibling.ok || !root.ok) throw new Error('send failed');
		expect(root.message.parentId).toBeNull();
		const contents = async (id: number) =>
			(await messagePath(t.db, conv.id, id)).map((m) => m.content || m.role);
		expect(await contents(b.reply.id)).toEqual(['a', 'assistant', 'b', 'assistant']);
		expect(await contents(sibling.message.id)).toEqual(['a', 'assistant', 'c']);
		expect(await contents(root.message.id)).toEqual(['d']);
		expect(await messagePath(t.db, conv.id + 1000, b.reply.id)).toEqual([]);
		await finishAll();
	});

	it(`holds the cap of ${MAX_ACTIVE_JOBS_PER_USER} active replies under a concurrent burst`, async () => {
		const conv = await createConversation(t.db, userId, {});
		const results = await Promise.all(
			Array.from({ length: 10 }, () =>
				sendMessage(t.db, userId, conv.id, { content: 'burst', parentId: null }, deps)
			)
		);
		expect(results.filter((r) => r.ok)).toHaveLength(MAX_ACTIVE_JOBS_PER_USER);
		expect(results.filter((r) => !r.ok && r.code === 'too_many_jobs')).toHaveLength(
			10 - MAX_ACTIVE_JOBS_PER_USER
		);
		const otherConv = await createConversation(t.db, otherId, {});
		expect((await sendMessage(t.db, otherId, otherConv.id, { content: 'me too' }, deps)).ok).toBe(
			true
		);
		await finishAll();
	});

	it('is idempotent by clientId, even when the same send races itself', async () => {
		const conv = await createConversation(t.db, userId, {});
		const input = { content: 'once', clientId: 'client-abc-123' };
		const [x, y] = await Promise.all([
			sendMessage(t.db, userId, conv.id, input, deps),
			sendMessage(t.db, userId, conv.id, input, deps)
		]);
		if (!x.ok || !y.ok) throw new Error('send failed');
		expect(x.message.id).toBe(y.message.id);
		expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
		const rows = await t.db
			.selectFrom('message')
			.select('id')
			.where('conversation_id', '=', conv.id)
			.execute();
		expect(rows).toHaveLength(2);
		await finishAll();
	});

	it("refuses another user's conversation and foreign parents", async () => {
		const conv = await createConversation(t.db, userId, {});
		expect(await sendMessage(t.db, otherId, conv.id, { content: 'x' }, deps)).toMatchObject({
			ok: false,
			code: 'not_found'
		});
		const otherConv = await createConversation(t.db, otherId, {});
		const foreign = await sendMessage(t.db, otherId, otherConv.id, { content: 'x' }, deps);
		if (!foreign.ok) throw new Error('send failed');
		expect(
			await sendMessage(t.db, userId, conv.id, { content: 'x', parentId: foreign.message.id }, deps)
		).toMatchObject({ ok: false, code: 'invalid' });
		expect(await sendMessage(t.db, userId, conv.id, { content: '  ' }, deps)).toMatchObject({
			ok: false,
			code: 'invalid'
		});
		await finishAll();
	});

	/** Fills a conversation directly (as one from before the caps, or a long history would). */
	async function fill(conversationId: number, count: number, charsEach: number, char = 'x') {
		const now = Date.now();
		const rows = Array.from({ length: count }, (_, i) => ({
			conversation_id: conversationId,
			user_id: userId,
			role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
			content: char.repeat(charsEach),
			status: 'done' as const,
			created_at: now,
			updated_at: now
		}));
		for (let i = 0; i < rows.length; i += 200)
			await t.db
				.insertInto('message')
				.values(rows.slice(i, i + 200))
				.execute();
	}
	const stored = async (conversationId: number) => ({
		messages: (
			await t.db
				.selectFrom('message')
				.select('id')
				.where('conversation_id', '=', conversationId)
				.execute()
		).length,
		jobs: (
			await t.db
				.selectFrom('job')
				.select('id')
				.where('conversation_id', '=', conversationId)
				.execute()
		).length
	});

	it(`caps a conversation at ${MAX_CONVERSATION_MESSAGES} messages, storing nothing when full`, async () => {
		const conv = await createConversation(t.db, userId, {});
		await fill(conv.id, MAX_CONVERSATION_MESSAGES - 2, 1);
		const last = await sendMessage(t.db, userId, conv.id, { content: 'fits' }, deps);
		expect(last.ok).toBe(true);
		await finishAll();
		const before = await stored(conv.id);
		expect(before.messages).toBe(MAX_CONVERSATION_MESSAGES);
		expect(await sendMessage(t.db, userId, conv.id, { content: 'one more' }, deps)).toMatchObject({
			ok: false,
			code: 'conversation_full'
		});
		if (!last.ok) throw new Error('send failed');
		expect(
			await regenerateReply(t.db, userId, conv.id, { messageId: last.message.id }, deps)
		).toMatchObject({ ok: false, code: 'conversation_full' });
		expect(await stored(conv.id)).toEqual(before);
	});

	it(`caps a conversation at ${MAX_CONVERSATION_CHARS} characters, storing nothing when full`, async () => {
		const conv = await createConversation(t.db, userId, {});
		// 25 messages of 80k characters: 2M, the cap, reached in far fewer than 300 sends.
		await fill(conv.id, 25, MAX_CONVERSATION_CHARS / 25 - 10);
		expect((await sendMessage(t.db, userId, conv.id, { content: 'y'.repeat(200) }, deps)).ok).toBe(
			true
		);
		await finishAll();
		const before = await stored(conv.id);
		const refused = await sendMessage(t.db, userId, conv.id, { content: 'z'.repeat(100) }, deps);
		expect(refused).toMatchObject({ ok: false, code: 'conversation_full' });
		if (!refused.ok) expect(refused.message).toMatch(/start a new one/);
		expect(await stored(conv.id)).toEqual(before);
		// Another conversation is unaffected.
		const fresh = await createConversation(t.db, userId, {});
		expect((await sendMessage(t.db, userId, fresh.id, { content: 'hi' }, deps)).ok).toBe(true);
		await finishAll();
	});

	it('counts characters, not bytes, once the bytes alone would pass the cap', async () => {
		const conv = await createConversation(t.db, userId, {});
		// Three bytes a character: 6 MB of text, and still 250 characters under the cap.
		await fill(conv.id, 25, MAX_CONVERSATION_CHARS / 25 - 10, '字');
		expect((await sendMessage(t.db, userId, conv.id, { content: 'y'.repeat(200) }, deps)).ok).toBe(
			true
		);
		await finishAll();
		const before = await stored(conv.id);
		expect(
			await sendMessage(t.db, userId, conv.id, { content: 'z'.repeat(100) }, deps)
		).toMatchObject({ ok: false, code: 'conversation_full' });
		expect(await stored(conv.id)).toEqual(before);
	});

	it('wakes the runner once per committed job, and not for a duplicate or a refusal', async () => {
		const conv = await createConversation(t.db, userId, {});
		const woken: number[] = [];
		const waking: ReplyDeps = { ...deps, enqueued: (job) => woken.push(job.id) };
		const input = { content: 'wake', clientId: 'client-wake-123' };
		const first = await sendMessage(t.db, userId, conv.id, input, waking);
		const again = await sendMessage(t.db, userId, conv.id, input, waking);
		if (!first.ok || !again.ok) throw new Error('send failed');
		expect(woken).toEqual([first.job.id]);
		const job = await t.db
			.selectFrom('job')
			.select('state')
			.where('id', '=', first.job.id)
			.executeTakeFirst();
		expect(job?.state).toBe('queued');
		const regenerated = await regenerateReply(
			t.db,
			userId,
			conv.id,
			{ messageId: first.message.id },
			waking
		);
		if (!regenerated.ok) throw new Error('regenerate failed');
		expect(woken).toEqual([first.job.id, regenerated.job.id]);
		expect(await sendMessage(t.db, userId, conv.id, { content: ' ' }, waking)).toMatchObject({
			ok: false
		});
		expect(woken).toHaveLength(2);
		await finishAll();
	});
});
