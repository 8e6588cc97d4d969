import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { sendMessage, type ReplyDeps } from '$lib/server/services/chat';
import {
	createConversation,
	deleteConversation,
	updateConversation
} from '$lib/server/services/conversations';
import { syncConversations } from '$lib/server/services/sync';

const deps: ReplyDeps = { defaultModel: async () => 'llama/default', enqueued: () => {} };

describe.each(DIALECTS)('device sync on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let otherId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId, otherId] = (await insertUsers(t.db, 'u', 'o')) as [number, number];
	});
	afterAll(() => t.close());
	// The services stamp rows with Date.now(): a clock that moves only when told orders them.
	beforeEach(() => vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_000 }));
	afterEach(() => vi.useRealTimers());
	const tick = () => vi.setSystemTime(Date.now() + 1_000);

	it('sends everything first, then only what changed, and reports deletions by absence', async () => {
		const ids: number[] = [];
		for (let i = 0; i < 4; i++) {
			const c = await createConversation(t.db, userId, { title: `c${i}` });
			await sendMessage(t.db, userId, c.id, { content: `hello ${i}` }, deps);
			ids.push(c.id);
			tick();
		}
		const theirs = await createConversation(t.db, otherId, { title: 'not yours' });

		const first = await syncConversations(t.db, userId, { since: 0, limit: 10, have: [] });
		expect(first.conversations.map((c) => c.id)).toEqual([...ids].reverse());
		expect(first.changed.map((c) => c.id).sort()).toEqual([...ids].sort());
		expect(first.changed.find((c) => c.id === ids[0])!.messages.map((m) => m.role)).toEqual([
			'user',
			'assistant'
		]);

		tick();
		await updateConversation(t.db, userId, ids[1]!, { title: 'renamed' });
		await deleteConversation(t.db, userId, ids[2]!);
		const next = await syncConversations(t.db, userId, {
			since: first.cursor + 1,
			limit: 10,
			have: ids
		});
		expect(next.changed.map((c) => c.id)).toEqual([ids[1]]);
		expect(next.changed[0]!.title).toBe('renamed');
		expect(next.conversations.map((c) => c.id)).not.toContain(ids[2]);
		expect(next.cursor).toBeGreaterThan(first.cursor);

		// A small window still covers what the device holds; another user's ids are never returned.
		const small = await syncConversations(t.db, userId, {
			since: 0,
			limit: 1,
			have: [ids[0]!, theirs.id]
		});
		expect(small.conversations.map((c) => c.id).sort()).toEqual([ids[1]!, ids[0]!].sort());
		expect(small.changed.map((c) => c.id)).not.toContain(theirs.id);
	});
});
