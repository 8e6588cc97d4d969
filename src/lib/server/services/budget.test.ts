// The /v1 budget check-and-reserve on both dialects: parallel requests at 99 % of a budget cannot
// all pass, a settled reservation frees its share, and chat sends see running /v1 requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { budgetRefusal, reserveApiRequest, setUserBudget } from '$lib/server/services/budget';
import { sendMessage, type ReplyDeps } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';

describe.each(DIALECTS)('the /v1 budget reservation on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	const NOW = Date.now();

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId] = (await insertUsers(t.db, 'spender')) as [number];
		await setUserBudget(t.db, userId, 1_000_000, NOW);
		await t.db
			.insertInto('usage_event')
			.values({
				user_id: userId,
				conversation_id: null,
				message_id: null,
				job_id: null,
				api_token_id: null,
				source: 'api',
				provider: 'p',
				model: 'm',
				prompt_tokens: 1,
				completion_tokens: 1,
				cost_micro_usd: 990_000,
				created_at: NOW
			})
			.execute();
	});
	afterAll(() => t.close());

	it('lets one of eight parallel requests at 99 % through, until it settles', async () => {
		const burst = await Promise.all(
			Array.from({ length: 8 }, () => reserveApiRequest(t.db, userId, NOW))
		);
		const passed = burst.flatMap((r) => (r.ok ? [r] : []));
		expect(passed).toHaveLength(1);
		expect(burst.filter((r) => !r.ok)).toEqual(
			Array.from({ length: 7 }, () => expect.objectContaining({ code: 'budget_exceeded' }))
		);
		// A chat send sees the running /v1 request as a reservation too.
		expect(await budgetRefusal(t.db, userId, NOW)).toMatchObject({ code: 'budget_exceeded' });
		passed[0]!.settle();
		passed[0]!.settle(); // settling twice frees one share, not two
		expect(await budgetRefusal(t.db, userId, NOW)).toBeNull();
		const next = await reserveApiRequest(t.db, userId, NOW);
		expect(next.ok).toBe(true);
		if (next.ok) next.settle();
	});

	it('holds across chat sends and /v1 requests racing each other: one of them starts', async () => {
		const deps: ReplyDeps = { defaultModel: async () => 'p/m', enqueued: () => {} };
		const conversation = await createConversation(t.db, userId, {});
		const results = await Promise.all(
			Array.from({ length: 8 }, (_, i) =>
				i % 2 === 0
					? reserveApiRequest(t.db, userId, Date.now())
					: sendMessage(t.db, userId, conversation.id, { content: `hi ${i}` }, deps)
			)
		);
		const started = results.filter((r) => r.ok);
		expect(started).toHaveLength(1);
		expect(results.filter((r) => !r.ok)).toEqual(
			Array.from({ length: 7 }, () => expect.objectContaining({ code: 'budget_exceeded' }))
		);
		for (const r of started) if ('settle' in r) r.settle();
	});
});
