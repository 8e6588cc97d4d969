// The /v1 budget check-and-reserve on both dialects: parallel requests at 99 % of a budget cannot
// all pass, a settled reservation frees its share, chat sends see running /v1 requests, two
// instances (own module state, own database handle) share the reservations, and they expire.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDatabase, type Database } from '$lib/server/db/database';
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
	const TTL_MS = 60_000;

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
			Array.from({ length: 8 }, () => reserveApiRequest(t.db, userId, NOW, TTL_MS))
		);
		const passed = burst.flatMap((r) => (r.ok ? [r] : []));
		expect(passed).toHaveLength(1);
		expect(burst.filter((r) => !r.ok)).toEqual(
			Array.from({ length: 7 }, () => expect.objectContaining({ code: 'budget_exceeded' }))
		);
		// A chat send sees the running /v1 request as a reservation too.
		expect(await budgetRefusal(t.db, userId, NOW)).toMatchObject({ code: 'budget_exceeded' });
		await passed[0]!.settle();
		await passed[0]!.settle(); // settling twice is harmless
		expect(await budgetRefusal(t.db, userId, NOW)).toBeNull();
		const next = await reserveApiRequest(t.db, userId, NOW, TTL_MS);
		expect(next.ok).toBe(true);
		if (next.ok) await next.settle();
	});

	it('holds across chat sends and /v1 requests racing each other: one of them starts', async () => {
		const deps: ReplyDeps = { defaultModel: async () => 'p/m', enqueued: () => {} };
		const conversation = await createConversation(t.db, userId, {});
		const results = await Promise.all(
			Array.from({ length: 8 }, (_, i) =>
				i % 2 === 0
					? reserveApiRequest(t.db, userId, Date.now(), TTL_MS)
					: sendMessage(t.db, userId, conversation.id, { content: `hi ${i}` }, deps)
			)
		);
		const started = results.filter((r) => r.ok);
		expect(started).toHaveLength(1);
		expect(results.filter((r) => !r.ok)).toEqual(
			Array.from({ length: 7 }, () => expect.objectContaining({ code: 'budget_exceeded' }))
		);
		for (const r of started) if ('settle' in r) await r.settle();
	});

	describe('across two instances', () => {
		let otherDb: Database;
		let other: typeof import('$lib/server/services/budget');
		let nearId: number;

		beforeAll(async () => {
			// The second instance: its own copy of the service module (no memory shared with the
			// first) and, on PostgreSQL, its own connection pool on the same database.
			vi.resetModules();
			other = await import('$lib/server/services/budget');
			expect(other.reserveApiRequest).not.toBe(reserveApiRequest);
			otherDb =
				dialect === 'postgres' ? await createDatabase({ kind: 'postgres', url: t.url! }) : t.db;
			// 97 % spent in replies of 1 % each: the budget has room for exactly three more.
			[nearId] = (await insertUsers(t.db, 'near')) as [number];
			await setUserBudget(t.db, nearId, 1_000_000, NOW);
			await t.db
				.insertInto('usage_event')
				.values(
					Array.from({ length: 97 }, () => ({
						user_id: nearId,
						conversation_id: null,
						message_id: null,
						job_id: null,
						api_token_id: null,
						source: 'api' as const,
						provider: 'p',
						model: 'm',
						prompt_tokens: 1,
						completion_tokens: 1,
						cost_micro_usd: 10_000,
						created_at: NOW - 1
					}))
				)
				.execute();
		});
		afterAll(async () => {
			if (otherDb !== t.db) await otherDb.destroy();
		});

		it('lets exactly as many of 20 racing requests pass as the budget has room for', async () => {
			const burst = await Promise.all(
				Array.from({ length: 20 }, (_, i) =>
					i % 2 === 0
						? reserveApiRequest(t.db, nearId, NOW, TTL_MS)
						: other.reserveApiRequest(otherDb, nearId, NOW, TTL_MS)
				)
			);
			const passed = burst.flatMap((r) => (r.ok ? [r] : []));
			expect(passed).toHaveLength(3);
			// Each instance sees the other's reservations.
			expect(await other.budgetRefusal(otherDb, nearId, NOW)).toMatchObject({
				code: 'budget_exceeded'
			});
			await passed[0]!.settle();
			expect(await other.budgetRefusal(otherDb, nearId, NOW)).toBeNull();
			for (const r of passed) await r.settle();
		});

		it('stops counting a reservation that was never settled once it expires', async () => {
			const held = await Promise.all(
				Array.from({ length: 3 }, () => other.reserveApiRequest(otherDb, nearId, NOW, TTL_MS))
			);
			expect(held.every((r) => r.ok)).toBe(true);
			expect(await budgetRefusal(t.db, nearId, NOW + TTL_MS - 1)).toMatchObject({
				code: 'budget_exceeded'
			});
			// The instance that holds them "crashed": nobody settles; the budget frees at expiry.
			expect(await budgetRefusal(t.db, nearId, NOW + TTL_MS)).toBeNull();
			const after = await reserveApiRequest(t.db, nearId, NOW + TTL_MS, TTL_MS);
			expect(after.ok).toBe(true);
			const rows = await t.db
				.selectFrom('budget_reservation')
				.select('expires_at')
				.where('user_id', '=', nearId)
				.execute();
			expect(rows).toEqual([{ expires_at: NOW + 2 * TTL_MS }]); // the expired rows were removed
			if (after.ok) await after.settle();
		});
	});
});
