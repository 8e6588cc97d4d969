import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import {
	createConversation,
	getConversation,
	MESSAGE_PAGE_MAX_CHARS,
	MESSAGE_PAGE_MAX_MESSAGES
} from '$lib/server/services/conversations';
import type { ConversationDto } from '$lib/shared/dto';

describe.each(DIALECTS)('reading conversations in pages on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let otherId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId, otherId] = (await insertUsers(t.db, 'u', 'o')) as [number, number];
	});
	afterAll(() => t.close());

	/** A conversation of `count` messages in one thread, each `chars` long; their ids, in order. */
	async function thread(count: number, chars: number) {
		const conv = await createConversation(t.db, userId, {});
		const ids: number[] = [];
		for (let i = 0; i < count; i++) {
			const now = Date.now();
			const row = await t.db
				.insertInto('message')
				.values({
					conversation_id: conv.id,
					user_id: userId,
					parent_id: ids.at(-1) ?? null,
					role: i % 2 === 0 ? 'user' : 'assistant',
					content: `${i} `.padEnd(chars, 'x'),
					status: 'done',
					created_at: now,
					updated_at: now
				})
				.returning('id')
				.executeTakeFirstOrThrow();
			ids.push(row.id);
		}
		return { id: conv.id, ids };
	}

	/** Every page, newest first, following earlierBefore. */
	async function allPages(id: number) {
		const pages: ConversationDto[] = [];
		let before: number | null = null;
		for (;;) {
			const page: ConversationDto | null = await getConversation(t.db, userId, id, { before });
			if (!page) throw new Error('not found');
			pages.push(page);
			if (page.earlierBefore === undefined) return pages;
			before = page.earlierBefore;
		}
	}

	it('returns a normal conversation whole, in the same shape as before', async () => {
		const conv = await thread(30, 500);
		const dto = await getConversation(t.db, userId, conv.id);
		expect(dto!.messages.map((m) => m.id)).toEqual(conv.ids);
		expect(dto).not.toHaveProperty('earlierBefore');
	});

	it(`pages a long one by count: at most ${MESSAGE_PAGE_MAX_MESSAGES} newest messages a read`, async () => {
		const conv = await thread(MESSAGE_PAGE_MAX_MESSAGES + 50, 10);
		const pages = await allPages(conv.id);
		expect(pages.map((p) => p.messages.length)).toEqual([MESSAGE_PAGE_MAX_MESSAGES, 50]);
		expect(pages[0]!.earlierBefore).toBe(pages[0]!.messages[0]!.id);
		expect(pages.reverse().flatMap((p) => p.messages.map((m) => m.id))).toEqual(conv.ids);
	});

	it(`pages a large one by size: at most ${MESSAGE_PAGE_MAX_CHARS} characters a read`, async () => {
		// 12 messages of 100k characters: 1.2 MB in one response before.
		const conv = await thread(12, 100_000);
		const pages = await allPages(conv.id);
		expect(pages.length).toBeGreaterThan(2);
		for (const page of pages)
			expect(page.messages.reduce((sum, m) => sum + m.content.length, 0)).toBeLessThanOrEqual(
				MESSAGE_PAGE_MAX_CHARS
			);
		expect(pages.reverse().flatMap((p) => p.messages.map((m) => m.id))).toEqual(conv.ids);
	});

	it("answers another user's conversation with nothing, whatever the page", async () => {
		const conv = await thread(3, 10);
		expect(await getConversation(t.db, otherId, conv.id)).toBeNull();
		expect(await getConversation(t.db, otherId, conv.id, { before: conv.ids[2]! })).toBeNull();
	});
});
