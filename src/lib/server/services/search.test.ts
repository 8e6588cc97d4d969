import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { createConversation, deleteConversation } from '$lib/server/services/conversations';
import { branchConversation } from '$lib/server/services/branching';
import { searchUserMessages } from '$lib/server/services/search';

describe.each(DIALECTS)('search on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let otherId: number;
	const ids: Record<string, number> = {};

	async function seed(owner: number, title: string, contents: string[]) {
		const conv = await createConversation(t.db, owner, { title });
		let parent: number | null = null;
		for (const [i, content] of contents.entries()) {
			const now = Date.now();
			const row = await t.db
				.insertInto('message')
				.values({
					conversation_id: conv.id,
					user_id: owner,
					parent_id: parent,
					role: i % 2 === 0 ? 'user' : 'assistant',
					content,
					status: 'done',
					created_at: now,
					updated_at: now
				})
				.returning('id')
				.executeTakeFirstOrThrow();
			parent = row.id;
		}
		return conv.id;
	}

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId, otherId] = (await insertUsers(t.db, 'u', 'o')) as [number, number];
		ids.sourdough = await seed(userId, 'Baking', [
			'How do I feed a sourdough starter?',
			'Feed the sourdough starter daily: equal parts flour and water. A sourdough starter likes warmth; sourdough bread needs a lively starter.'
		]);
		ids.bread = await seed(userId, 'Bread', [
			'What flour for bread?',
			'Bread flour has more protein. Some people also use sourdough once.'
		]);
		ids.garden = await seed(userId, 'Garden', ['When to plant tomatoes?', 'After the last frost.']);
		ids.secret = await seed(otherId, 'Other user', [
			'My secret sourdough sourdough sourdough recipe',
			'sourdough'
		]);
		ids.deleted = await seed(userId, 'Gone', ['sourdough in a deleted conversation']);
		await deleteConversation(t.db, userId, ids.deleted);
	});
	afterAll(() => t.close());

	it('ranks the message that is most about the words first, with the hits marked', async () => {
		const hits = await searchUserMessages(t.db, userId, 'sourdough starter');
		expect(hits.length).toBeGreaterThanOrEqual(2);
		expect(hits[0]).toMatchObject({
			conversationId: ids.sourdough,
			title: 'Baking',
			role: 'assistant'
		});
		const marked = hits[0]!.snippet.filter((p) => p.hit).map((p) => p.text.toLowerCase());
		expect(marked).toContain('sourdough');
		expect(marked).toContain('starter');
		expect(hits[0]!.snippet.map((p) => p.text).join('')).toContain('Feed the');
	});

	it('treats the last word as a prefix, so results come while typing', async () => {
		const hits = await searchUserMessages(t.db, userId, 'tomat');
		expect(hits.map((h) => h.conversationId)).toEqual([ids.garden]);
		// Short prefixes (the prefix index) and long ones (looked up as whole words) alike.
		for (const typed of ['so', 'sou', 'sourd', 'sourdough'])
			expect(
				new Set((await searchUserMessages(t.db, userId, typed)).map((h) => h.conversationId))
			).toEqual(new Set([ids.sourdough, ids.bread]));
		const both = await searchUserMessages(t.db, userId, 'feed sta');
		expect(both.length).toBeGreaterThan(0);
		expect(new Set(both.map((h) => h.conversationId))).toEqual(new Set([ids.sourdough]));
	});

	it("never returns another user's messages or deleted conversations", async () => {
		const hits = await searchUserMessages(t.db, userId, 'sourdough');
		const conversations = new Set(hits.map((h) => h.conversationId));
		expect(conversations.has(ids.secret!)).toBe(false);
		expect(conversations.has(ids.deleted!)).toBe(false);
		expect(conversations).toEqual(new Set([ids.sourdough, ids.bread]));
		const theirs = await searchUserMessages(t.db, otherId, 'sourdough');
		expect(new Set(theirs.map((h) => h.conversationId))).toEqual(new Set([ids.secret]));
	});

	it('shows a snippet without markdown syntax', async () => {
		await seed(userId, 'Markdown', ['**Kombucha** needs a `scoby` and [tea](https://tea.example)']);
		const [hit] = await searchUserMessages(t.db, userId, 'kombucha');
		expect(hit!.snippet.map((p) => p.text).join('')).toBe('Kombucha needs a scoby and tea');
	});

	it('finds a message once when "branch from here" copied it; the original is kept', async () => {
		const original = await seed(userId, 'Jam', [
			'How long to boil quince jam?',
			'Boil quince jam for 40 minutes.'
		]);
		const [, reply] = await t.db
			.selectFrom('message')
			.select('id')
			.where('conversation_id', '=', original)
			.orderBy('id')
			.execute();
		const branch = await branchConversation(t.db, userId, original, reply!.id);
		if (!branch.ok) throw new Error(branch.message);
		const twig = await branchConversation(
			t.db,
			userId,
			branch.conversation.id,
			branch.conversation.messages.at(-1)!.id
		);
		if (!twig.ok) throw new Error(twig.message);
		const hits = await searchUserMessages(t.db, userId, 'quince');
		expect(hits.map((h) => h.conversationId)).toEqual([original, original]);
		expect(new Set(hits.map((h) => h.messageId)).size).toBe(2);
	});

	it('reads query syntax as plain words', async () => {
		for (const q of [
			'"',
			'sourdough OR garden',
			'NEAR(a b)',
			"'; drop table message; --",
			'*',
			'a & | ! :*'
		])
			await expect(searchUserMessages(t.db, userId, q)).resolves.toBeInstanceOf(Array);
		expect(await searchUserMessages(t.db, userId, '   ')).toEqual([]);
	});
});

describe.each(DIALECTS)(
	"search isolation on %s: another user's words change nothing",
	(dialect) => {
		let t: TestDatabase;
		let alice: number;
		let bob: number;

		async function write(owner: number, contents: string[]) {
			const conv = await createConversation(t.db, owner, { title: `by ${owner}` });
			const now = Date.now();
			for (const content of contents)
				await t.db
					.insertInto('message')
					.values({
						conversation_id: conv.id,
						user_id: owner,
						role: 'user',
						content,
						status: 'done',
						created_at: now,
						updated_at: now
					})
					.execute();
		}

		beforeAll(async () => {
			t = await freshDatabase(dialect);
			[alice, bob] = (await insertUsers(t.db, 'alice', 'bob')) as [number, number];
			await write(alice, [
				'The sourdough starter smells of apples today',
				'Sourdough sourdough: a starter, flour, water and patience',
				'My starter died; the starter jar is starter-free now, sourdough on hold',
				'Tomatoes go out after the frost; starter plants of tomatoes first',
				'A long note about the garden, the kitchen, the bread, the oven, the weather and sourdough'
			]);
		});
		afterAll(() => t.close());

		const queries = [
			...['s', 'so', 'sou', 'sour', 'sourd', 'sourdo', 'sourdou', 'sourdoug', 'sourdough'],
			...['st', 'sta', 'star', 'start', 'starte', 'starter', 'tom', 'toma', 'tomato'],
			'sourdough starter',
			'starter sourdough',
			'starter sour',
			'the garden'
		];
		const snapshot = async () =>
			Object.fromEntries(
				await Promise.all(queries.map(async (q) => [q, await searchUserMessages(t.db, alice, q)]))
			);

		it('gives the same results, in the same order, whatever the other user writes', async () => {
			const before = await snapshot();
			expect(before['sour']!.length).toBeGreaterThan(0);
			expect(before['sourdough starter']!.length).toBeGreaterThan(1);
			// More than a handful of words that share each of Alice's prefixes and sort before her
			// word (what pushed her word out of an 8-word expansion), her own words many times over
			// (what moves corpus-wide word statistics), and long messages (the average length).
			const crowd: string[] = [];
			for (const word of ['sourdough', 'starter', 'tomatoes'])
				for (let len = 4; len < word.length; len++)
					for (const letter of 'abcdefghijkl') crowd.push(`${word.slice(0, len)}a${letter}`);
			await write(bob, [crowd.join(' ')]);
			await write(
				bob,
				Array.from({ length: 30 }, (_, i) =>
					i % 2 ? 'starter '.repeat(40) : `sourdough ${'garden words '.repeat(80)}`
				)
			);
			expect(await snapshot()).toEqual(before);
			// And Bob finds his own words by the same prefixes.
			expect((await searchUserMessages(t.db, bob, 'soura')).length).toBe(1);
		});
	}
);
