import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { ProviderRegistry } from '$lib/server/llm/registry';
import { sendMessage } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';
import {
	budgetRefusal,
	budgetStatus,
	setDefaultBudget,
	setUserBudget
} from '$lib/server/services/budget';
import { recordUsage, setModelPrice, type RecordedUsage } from '$lib/server/services/pricing';
import { usageReport, usageSummary } from '$lib/server/services/usage';
import { exportUsage } from '$lib/server/services/usage-export';
import { insertUser } from '$lib/server/repos/users';
import type { ProviderRecord } from '$lib/server/services/providers';

const record = (id: string, kind: ProviderRecord['kind'], name: string): ProviderRecord => ({
	id,
	kind,
	name,
	baseUrl: 'http://127.0.0.1:9',
	apiKey: null,
	allowInternal: false,
	maxConcurrency: null,
	enabledModels: [],
	source: 'admin'
});
const providers = new ProviderRegistry(async () => [
	record('oai', 'openai', 'OpenAI'),
	record('ant', 'anthropic', 'Anthropic'),
	record('home', 'llamacpp', 'Home')
]);
const defaultModel = { defaultModel: async () => 'oai/gpt-4.1', enqueued: () => {} };
const USD = 1_000_000;

/** A tiny RFC 4180 reader: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let cell = '';
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i]!;
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (c === '"') quoted = false;
			else cell += c;
		} else if (c === '"') quoted = true;
		else if (c === ',') {
			row.push(cell);
			cell = '';
		} else if (c === '\r' && text[i + 1] === '\n') {
			row.push(cell);
			rows.push(row);
			row = [];
			cell = '';
			i++;
		} else cell += c;
	}
	return rows;
}

async function collect(lines: AsyncIterable<string>) {
	let text = '';
	for await (const line of lines) text += line;
	return text;
}

describe.each(DIALECTS)('usage on %s', (dialect) => {
	let t: TestDatabase;
	let alice: number;
	let bob: number;
	let convA: number;
	let convB: number;
	const record = (
		userId: number,
		conversationId: number | null,
		ref: string,
		counts: RecordedUsage,
		at: number
	) => {
		const [provider, model] = ref.split('/') as [string, string];
		return recordUsage(
			t.db,
			{ userId, conversationId, messageId: null, jobId: null, provider, model },
			counts,
			at
		);
	};

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[alice, bob] = (await insertUsers(t.db, 'alice', 'bob')) as [number, number];
		convA = (await createConversation(t.db, alice, { title: '=HYPERLINK("http://x","y")' })).id;
		convB = (await createConversation(t.db, bob, { title: 'bob secret' })).id;
	});
	afterAll(() => t.close());

	it('prices cached, cache-write and output tokens as the vendors do, at write time', async () => {
		// gpt-4.1: $2 input, $0.50 cached input, $8 output per million.
		await record(
			alice,
			convA,
			'oai/gpt-4.1',
			{
				promptTokens: 1_000_000,
				cachedTokens: 800_000,
				completionTokens: 100_000,
				reasoningTokens: 40_000
			},
			Date.UTC(2026, 0, 31, 23, 30)
		);
		// claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write, $15 output.
		await record(
			alice,
			convA,
			'ant/claude-sonnet-4-5-20250929',
			{
				promptTokens: 1_000_000,
				cachedTokens: 500_000,
				cacheWriteTokens: 100_000,
				completionTokens: 10_000
			},
			Date.UTC(2026, 1, 1, 9)
		);
		const rows = await t.db
			.selectFrom('usage_event')
			.select(['model', 'cost_micro_usd'])
			.orderBy('id')
			.execute();
		expect(rows.map((r) => Number(r.cost_micro_usd))).toEqual([
			400_000 + 400_000 + 800_000,
			// fresh 400k × $3 + 500k cached × $0.30 + 100k written × $3.75 + 10k output × $15
			1_200_000 + 150_000 + 375_000 + 150_000
		]);
	});

	it('an admin price applies from its date on: recorded costs do not move', async () => {
		const before = await usageReport(t.db, providers, alice, {});
		await setModelPrice(
			t.db,
			alice,
			{ model: 'gpt-4.1', inputPerMillion: 100, outputPerMillion: 100, effectiveFrom: 0 },
			Date.UTC(2026, 1, 2)
		);
		expect(await usageReport(t.db, providers, alice, {})).toEqual(before);
		await record(
			alice,
			null,
			'oai/gpt-4.1',
			{ promptTokens: 10_000, completionTokens: 0 },
			Date.UTC(2026, 1, 3)
		);
		const after = await usageReport(t.db, providers, alice, {});
		expect(after.overall.costMicroUsd - before.overall.costMicroUsd).toBe(0.01 * 100 * USD);
		// The local rate is the user's own, and applies to tokens of llama.cpp models.
		await t.db
			.updateTable('user')
			.set({ settings: JSON.stringify({ localCostPerMillionUsd: 0.5 }) })
			.where('id', '=', alice)
			.execute();
		await record(
			alice,
			convA,
			'home/qwen',
			{ promptTokens: 1_000_000, completionTokens: 1_000_000, estimated: true, local: true },
			Date.UTC(2026, 1, 28, 23, 30)
		);
		const local = await usageReport(t.db, providers, alice, {});
		expect(local.overall.costMicroUsd - after.overall.costMicroUsd).toBe(1 * USD);
		expect(local.overall.estimated).toBe(true);
	});

	it('sums by local day in the asked time zone, by week and month, with the previous period', async () => {
		// 2026-01-31 23:30 UTC is Feb 1st in Paris (UTC+1); 2026-02-28 23:30 UTC is Mar 1st there.
		const paris = await usageSummary(t.db, providers, {
			userId: alice,
			from: '2026-02-01',
			to: '2026-02-28',
			tz: 'Europe/Paris',
			period: 'day'
		});
		const days = Object.fromEntries(
			paris.series.filter((p) => p.replies > 0).map((p) => [p.start, p.replies])
		);
		expect(days).toEqual({ '2026-02-01': 2, '2026-02-03': 1 });
		expect(paris.series).toHaveLength(28);
		const utc = await usageSummary(t.db, providers, {
			userId: alice,
			from: '2026-02-01',
			to: '2026-02-28',
			tz: 'UTC',
			period: 'day'
		});
		expect(
			Object.fromEntries(utc.series.filter((p) => p.replies > 0).map((p) => [p.start, p.replies]))
		).toEqual({ '2026-02-01': 1, '2026-02-03': 1, '2026-02-28': 1 });
		expect(utc.previous.replies).toBe(1);
		expect(Object.fromEntries(utc.byKind.map((k) => [k.key, k.replies]))).toEqual({
			cloud: 2,
			local: 1
		});
		expect(utc.byKind.find((k) => k.key === 'local')!.costMicroUsd).toBe(1 * USD);
		expect(utc.byProvider.map((p) => p.label).sort()).toEqual(['Anthropic', 'Home', 'OpenAI']);
		const months = await usageSummary(t.db, providers, {
			userId: alice,
			from: '2026-01-01',
			to: '2026-03-31',
			tz: 'Europe/Paris',
			period: 'month'
		});
		expect(months.series.map((m) => [m.start, m.replies])).toEqual([
			['2026-01-01', 0],
			['2026-02-01', 3],
			['2026-03-01', 1]
		]);
		const weeks = await usageSummary(t.db, providers, {
			userId: alice,
			from: '2026-02-01',
			to: '2026-02-14',
			tz: 'UTC',
			period: 'week'
		});
		expect(weeks.series.map((w) => [w.start, w.replies])).toEqual([
			['2026-01-26', 1],
			['2026-02-02', 1],
			['2026-02-09', 0]
		]);
		expect(months.topConversations[0]).toMatchObject({ id: convA });
		expect(months.byUser).toBeUndefined();
	});

	it("exports one row per reply as RFC 4180 CSV that parses back, formulas neutralised, only the caller's rows", async () => {
		await record(
			bob,
			convB,
			'oai/gpt-4o',
			{ promptTokens: 7, completionTokens: 3 },
			Date.UTC(2026, 1, 10)
		);
		const all = { from: 0, to: Date.UTC(2027, 0, 1) };
		const csv = await collect(exportUsage(t.db, { userId: alice, ...all }, 'csv'));
		const [header, ...rows] = parseCsv(csv);
		expect(header).toContain('cost_usd');
		const col = (name: string) => header!.indexOf(name);
		expect(rows).toHaveLength(4);
		expect(rows.every((r) => r[col('user')] === 'alice')).toBe(true);
		expect(csv).not.toContain('bob secret');
		expect(rows[0]![col('conversation')]).toBe(`'=HYPERLINK("http://x","y")`);
		expect(rows.map((r) => Number(r[col('cached_tokens')]))).toEqual([800_000, 500_000, 0, 0]);
		expect(rows[0]![col('reasoning_tokens')]).toBe('40000');
		const stored = await t.db
			.selectFrom('usage_event')
			.select('cost_micro_usd')
			.where('user_id', '=', alice)
			.orderBy('id')
			.execute();
		expect(rows.map((r) => Math.round(Number(r[col('cost_usd')]) * USD))).toEqual(
			stored.map((s) => Number(s.cost_micro_usd))
		);
		expect(rows.map((r) => r[col('usage')])).toEqual([
			'reported',
			'reported',
			'reported',
			'estimated'
		]);
		const json = JSON.parse(await collect(exportUsage(t.db, { userId: bob, ...all }, 'json'))) as {
			user: string;
			prompt_tokens: number;
		}[];
		expect(json).toEqual([expect.objectContaining({ user: 'bob', prompt_tokens: 7 })]);
		const admin = await usageSummary(t.db, providers, {
			from: '2026-02-01',
			to: '2026-02-28',
			tz: 'UTC',
			period: 'day',
			byUser: true
		});
		expect(admin.byUser!.map((u) => u.username)).toEqual(['alice', 'bob']);
	});
});

describe.each(DIALECTS)('monthly budgets on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let conv: number;
	const MARCH = Date.UTC(2031, 2, 15);
	const spend = (microUsd: number, at: number) =>
		recordUsage(
			t.db,
			{ userId, conversationId: conv, messageId: null, jobId: null, provider: 'home', model: 'm' },
			{ promptTokens: microUsd, completionTokens: 0, local: true },
			at
		);

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId] = (await insertUsers(t.db, 'spender')) as [number];
		// A local rate of $1 per million tokens: one token costs one micro-dollar.
		await t.db
			.updateTable('user')
			.set({ settings: JSON.stringify({ localCostPerMillionUsd: 1 }) })
			.execute();
		conv = (await createConversation(t.db, userId, {})).id;
	});
	afterAll(() => t.close());

	it('warns at 80 %, refuses at 100 % saying when it resets, and resets at the month start', async () => {
		expect(await budgetStatus(t.db, userId, MARCH)).toMatchObject({
			level: 'none',
			budgetMicroUsd: null
		});
		await setUserBudget(t.db, userId, 10 * USD, MARCH);
		await spend(7.9 * USD, Date.UTC(2031, 2, 1));
		await spend(5 * USD, Date.UTC(2031, 1, 27)); // February's spending does not count in March
		expect(await budgetStatus(t.db, userId, MARCH)).toMatchObject({
			level: 'ok',
			leftMicroUsd: 2.1 * USD
		});
		await spend(0.1 * USD, MARCH);
		expect(await budgetStatus(t.db, userId, MARCH)).toMatchObject({
			level: 'warning',
			spentMicroUsd: 8 * USD
		});
		expect(await budgetRefusal(t.db, userId, MARCH)).toBeNull();
		await spend(2 * USD, MARCH);
		const status = await budgetStatus(t.db, userId, MARCH);
		expect(status).toMatchObject({
			level: 'exceeded',
			leftMicroUsd: 0,
			resetsAt: Date.UTC(2031, 3, 1)
		});
		const refusal = await budgetRefusal(t.db, userId, MARCH);
		expect(refusal).toMatchObject({ ok: false, code: 'budget_exceeded' });
		expect(refusal!.message).toContain('2031-04-01');
		// The month rolls over: April starts from zero.
		expect(await budgetRefusal(t.db, userId, Date.UTC(2031, 3, 1))).toBeNull();
		expect(await budgetStatus(t.db, userId, Date.UTC(2031, 3, 1))).toMatchObject({
			level: 'ok',
			spentMicroUsd: 0
		});
	});

	it('a send over budget is refused before it is queued; the admin raising the budget lets it through', async () => {
		const now = Date.now();
		await setUserBudget(t.db, userId, 1 * USD, now);
		await spend(1 * USD, now);
		const jobsBefore = await t.db.selectFrom('job').select('id').execute();
		const refused = await sendMessage(t.db, userId, conv, { content: 'hi' }, defaultModel);
		expect(refused).toMatchObject({ ok: false, code: 'budget_exceeded' });
		expect(await t.db.selectFrom('job').select('id').execute()).toEqual(jobsBefore);
		await setUserBudget(t.db, userId, 100 * USD, now);
		expect(await sendMessage(t.db, userId, conv, { content: 'hi' }, defaultModel)).toMatchObject({
			ok: true
		});
		await t.db.updateTable('job').set({ state: 'done' }).execute();
	});

	it('two sends racing at 99 % cannot both pass', async () => {
		const [racer] = (await insertUsers(t.db, 'racer')) as [number];
		const c = (await createConversation(t.db, racer, {})).id;
		const now = Date.now();
		await setUserBudget(t.db, racer, 100 * USD, now);
		await t.db
			.updateTable('user')
			.set({ settings: JSON.stringify({ localCostPerMillionUsd: 1 }) })
			.where('id', '=', racer)
			.execute();
		await recordUsage(
			t.db,
			{
				userId: racer,
				conversationId: c,
				messageId: null,
				jobId: null,
				provider: 'home',
				model: 'm'
			},
			{ promptTokens: 99 * USD, completionTokens: 0, local: true },
			now
		);
		const sends = await Promise.all(
			[1, 2, 3].map((n) => sendMessage(t.db, racer, c, { content: `race ${n}` }, defaultModel))
		);
		expect(sends.filter((s) => s.ok)).toHaveLength(1);
		expect(sends.filter((s) => !s.ok).map((s) => !s.ok && s.code)).toEqual([
			'budget_exceeded',
			'budget_exceeded'
		]);
	});

	it('new users start with the default budget; existing ones keep theirs', async () => {
		await setDefaultBudget(t.db, 25 * USD, Date.now());
		const user = await insertUser(t.db, {
			username: 'newcomer',
			password_hash: 'x',
			role: 'user',
			created_at: 0,
			updated_at: 0
		});
		expect(Number(user.monthly_budget_micro_usd)).toBe(25 * USD);
		expect(await budgetStatus(t.db, userId, Date.now())).toMatchObject({
			budgetMicroUsd: 100 * USD
		});
	});
});
