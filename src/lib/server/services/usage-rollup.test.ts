// The usage rollups against the events they sum: after a random mix of writes (many users and
// conversations, local and cloud, estimated and reported, shared buckets, a rolled-back reply, a
// deleted user, a deleted and a trashed conversation) the rollups hold exactly the events' sums,
// and the usage page's figures read from them (the most expensive conversations too) equal the
// same figures computed here from the raw events, in zones of every kind of offset and across
// changes of clocks. And the migrations' backfills build the same rollups from earlier events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import type { Database } from '$lib/server/db/database';
import { MIGRATIONS } from '$lib/server/db/migrator';
import { ProviderRegistry } from '$lib/server/llm/registry';
import { ROLLUP_DAY_MS, ROLLUP_HOUR_MS, ROLLUP_QUARTER_MS } from '$lib/server/repos/usage-rollup';
import { deleteConversation } from '$lib/server/services/conversations';
import { recordUsage } from '$lib/server/services/pricing';
import {
	TOP_CONVERSATIONS,
	usageReport,
	usageSummary,
	type SummaryQuery
} from '$lib/server/services/usage';
import { localDay, nextDay, periodStart, startOfLocalDay } from '$lib/server/services/usage-range';
import type { UsageFiguresDto, UsagePeriod } from '$lib/shared/dto';

const MODELS = [
	['oai', 'gpt-4.1', false],
	['oai', 'gpt-5.1', false],
	['ant', 'claude-haiku-4-5', false],
	['home', 'qwen3-8b', true]
] as const;
const ZONES = [
	'UTC',
	'Europe/Paris',
	'America/Los_Angeles',
	'Asia/Kolkata',
	'Asia/Kathmandu',
	'Australia/Lord_Howe',
	'Pacific/Chatham'
];
const PERIODS: UsagePeriod[] = ['day', 'week', 'month'];
/** Events fall between these: over the changes of clocks of spring 2026 on both hemispheres. */
const FIRST = Date.UTC(2026, 1, 20);
const LAST = Date.UTC(2026, 3, 20);
const EVENTS = 300;

function mulberry32(seed: number) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const providers = new ProviderRegistry(async () =>
	(['oai', 'ant', 'home'] as const).map((id) => ({
		id,
		kind: id === 'home' ? ('llamacpp' as const) : ('openai' as const),
		name: id,
		baseUrl: 'http://127.0.0.1:9',
		apiKey: null,
		allowInternal: false,
		maxConcurrency: null,
		enabledModels: [],
		source: 'admin' as const
	}))
);

interface RawEvent {
	id: number;
	user_id: number;
	conversation_id: number | null;
	provider: string;
	model: string;
	prompt_tokens: number;
	completion_tokens: number;
	cached_tokens: number;
	cache_write_tokens: number;
	reasoning_tokens: number;
	cost_micro_usd: number;
	estimated: number;
	created_at: number;
}

async function rawEvents(db: Database): Promise<RawEvent[]> {
	const rows = await db.selectFrom('usage_event').selectAll().execute();
	return rows.map((r) => ({
		...r,
		cost_micro_usd: Number(r.cost_micro_usd),
		created_at: Number(r.created_at)
	}));
}

const SUMS = [
	'prompt_tokens',
	'completion_tokens',
	'cached_tokens',
	'cache_write_tokens',
	'reasoning_tokens',
	'cost_micro_usd'
] as const;

/** The rollup computed from raw events: "span|bucket|user|provider|model|local" → sums. */
function expectedRollup(events: RawEvent[], isLocal: (provider: string) => boolean) {
	const rows = new Map<string, number[]>();
	for (const e of events)
		for (const span of [ROLLUP_QUARTER_MS, ROLLUP_HOUR_MS, ROLLUP_DAY_MS]) {
			const bucket = Math.floor(e.created_at / span) * span;
			const key = [span, bucket, e.user_id, e.provider, e.model, isLocal(e.provider) ? 1 : 0].join(
				'|'
			);
			const sums = rows.get(key) ?? Array<number>(SUMS.length + 2).fill(0);
			SUMS.forEach((c, i) => (sums[i]! += e[c]));
			sums[SUMS.length]! += 1;
			sums[SUMS.length + 1]! += e.estimated;
			rows.set(key, sums);
		}
	return rows;
}

async function storedRollup(db: Database) {
	const rows = await db.selectFrom('usage_rollup').selectAll().execute();
	return new Map(
		rows.map((r) => [
			[r.span_ms, r.bucket_at, r.user_id, r.provider, r.model, r.local].map(String).join('|'),
			[...SUMS.map((c) => Number(r[c])), Number(r.replies), Number(r.estimated)]
		])
	);
}

function figures(events: RawEvent[]): UsageFiguresDto {
	return {
		promptTokens: events.reduce((n, e) => n + e.prompt_tokens, 0),
		completionTokens: events.reduce((n, e) => n + e.completion_tokens, 0),
		cachedTokens: events.reduce((n, e) => n + e.cached_tokens, 0),
		reasoningTokens: events.reduce((n, e) => n + e.reasoning_tokens, 0),
		costMicroUsd: events.reduce((n, e) => n + e.cost_micro_usd, 0),
		replies: events.length
	};
}

function groupFigures(events: RawEvent[], keyOf: (e: RawEvent) => string) {
	const groups = new Map<string, RawEvent[]>();
	for (const e of events) groups.set(keyOf(e), [...(groups.get(keyOf(e)) ?? []), e]);
	return Object.fromEntries([...groups].map(([key, list]) => [key, figures(list)]));
}

/** usage_conversation_day computed from raw events: "conversation|day|user" → sums. */
function expectedConversationDays(events: RawEvent[]) {
	const rows = new Map<string, number[]>();
	for (const e of events) {
		if (e.conversation_id === null) continue;
		const day = Math.floor(e.created_at / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;
		const key = [e.conversation_id, day, e.user_id].join('|');
		const sums = rows.get(key) ?? [0, 0, 0, 0, 0];
		sums[0]! += e.prompt_tokens;
		sums[1]! += e.completion_tokens;
		sums[2]! += e.cost_micro_usd;
		sums[3]! += 1;
		sums[4]! += e.estimated;
		rows.set(key, sums);
	}
	return rows;
}

async function storedConversationDays(db: Database) {
	const rows = await db.selectFrom('usage_conversation_day').selectAll().execute();
	return new Map(
		rows.map((r) => [
			[r.conversation_id, r.day_at, r.user_id].map(String).join('|'),
			[r.prompt_tokens, r.completion_tokens, r.cost_micro_usd, r.replies, r.estimated].map(Number)
		])
	);
}

/** The most expensive conversations of `inRange` among `shown` (id → title), from raw events. */
function expectedTop(inRange: RawEvent[], shown: Map<number, string>) {
	const sums = new Map<number, { cost: number; tokens: number }>();
	for (const e of inRange) {
		if (e.conversation_id === null || !shown.has(e.conversation_id)) continue;
		const sum = sums.get(e.conversation_id) ?? { cost: 0, tokens: 0 };
		sum.cost += e.cost_micro_usd;
		sum.tokens += e.prompt_tokens + e.completion_tokens;
		sums.set(e.conversation_id, sum);
	}
	return [...sums]
		.map(([id, s]) => ({ id, title: shown.get(id)!, costMicroUsd: s.cost, tokens: s.tokens }))
		.sort((a, b) => b.costMicroUsd - a.costMicroUsd || a.id - b.id)
		.slice(0, TOP_CONVERSATIONS);
}

/** What the usage page shows for `query`, computed from the raw events. */
function expectedSummary(
	events: RawEvent[],
	query: SummaryQuery,
	isLocal: (p: string) => boolean,
	shown: Map<number, string>
) {
	const from = startOfLocalDay(query.from, query.tz)!;
	const to = startOfLocalDay(nextDay(query.to), query.tz)!;
	const mine = events.filter((e) => query.userId === undefined || e.user_id === query.userId);
	const inRange = mine.filter((e) => e.created_at >= from && e.created_at < to);
	const starts: string[] = [];
	for (let day = query.from; day <= query.to; day = nextDay(day)) {
		const start = periodStart(day, query.period);
		if (starts.at(-1) !== start) starts.push(start);
	}
	const perPeriod = groupFigures(inRange, (e) =>
		periodStart(localDay(e.created_at, query.tz), query.period)
	);
	return {
		totals: figures(inRange),
		previous: figures(mine.filter((e) => e.created_at >= 2 * from - to && e.created_at < from)),
		series: starts.map((start) => ({ start, ...(perPeriod[start] ?? figures([])) })),
		byModel: groupFigures(inRange, (e) => `${e.provider}/${e.model}`),
		byProvider: groupFigures(inRange, (e) => e.provider),
		byKind: groupFigures(inRange, (e) => (isLocal(e.provider) ? 'local' : 'cloud')),
		topConversations: expectedTop(inRange, shown),
		estimated: inRange.some((e) => e.estimated > 0)
	};
}

function keyed(list: ({ key: string } & UsageFiguresDto)[]) {
	return Object.fromEntries(
		list.map((e) => [
			e.key,
			{
				promptTokens: e.promptTokens,
				completionTokens: e.completionTokens,
				cachedTokens: e.cachedTokens,
				reasoningTokens: e.reasoningTokens,
				costMicroUsd: e.costMicroUsd,
				replies: e.replies
			}
		])
	);
}

describe.each(DIALECTS)('usage rollup on %s', (dialect) => {
	let t: TestDatabase;
	let users: number[];
	/** Each user's conversations (five each: more than the page lists). */
	const conversationsOf = new Map<number, number[]>();
	/** The conversations the usage page may list (not deleted, not in the trash): id → title. */
	const shown = new Map<number, string>();
	const localProviders = new Set(['home']);
	const isLocal = (provider: string) => localProviders.has(provider);

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		users = await insertUsers(t.db, 'ana', 'ben', 'cy', 'dee', 'gone');
		for (const user of users) {
			const rows = await t.db
				.insertInto('conversation')
				.values(
					[1, 2, 3, 4, 5].map((n) => ({
						user_id: user,
						title: `chat ${n} of ${user}`,
						created_at: 0,
						updated_at: 0
					}))
				)
				.returning(['id', 'title'])
				.execute();
			conversationsOf.set(
				user,
				rows.map((r) => r.id)
			);
			if (user !== users[4]) for (const r of rows) shown.set(r.id, r.title);
		}
	});
	afterAll(() => t.close());

	it('equals the sums of the events after a random mix of writes', async () => {
		const rand = mulberry32(dialect === 'sqlite' ? 11 : 12);
		const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
		// Instants that share buckets, fall on quarter hours and on local midnights.
		const midnights = ZONES.map((tz) => startOfLocalDay('2026-03-29', tz)!);
		const at = () => {
			const r = rand();
			if (r < 0.2) return pick(midnights) - (rand() < 0.5 ? 1 : 0);
			if (r < 0.4) return FIRST + Math.floor(rand() * 200) * ROLLUP_QUARTER_MS;
			return FIRST + Math.floor(rand() * (LAST - FIRST));
		};
		for (let i = 0; i < EVENTS; i++) {
			const [provider, model, local] = pick(MODELS);
			const prompt = Math.floor(rand() * 5000);
			const userId = pick(users);
			const conversationId = rand() < 0.15 ? null : pick(conversationsOf.get(userId)!);
			await t.db.transaction().execute((trx) =>
				recordUsage(
					trx,
					{
						userId,
						conversationId,
						messageId: null,
						jobId: null,
						provider,
						model
					},
					{
						promptTokens: prompt,
						completionTokens: Math.floor(rand() * 3000),
						cachedTokens: Math.floor(rand() * prompt),
						cacheWriteTokens: provider === 'ant' ? Math.floor(rand() * 100) : 0,
						reasoningTokens: Math.floor(rand() * 50),
						estimated: rand() < 0.2,
						local
					},
					at()
				)
			);
		}
		// A reply whose transaction fails leaves neither an event nor a trace in the rollup.
		const before = await storedRollup(t.db);
		const beforeDays = await storedConversationDays(t.db);
		await expect(
			t.db.transaction().execute(async (trx) => {
				await recordUsage(
					trx,
					{
						userId: users[0]!,
						conversationId: conversationsOf.get(users[0]!)![0]!,
						messageId: null,
						jobId: null,
						provider: 'oai',
						model: 'gpt-4.1'
					},
					{ promptTokens: 1000, completionTokens: 1000 },
					FIRST
				);
				throw new Error('the reply could not be saved');
			})
		).rejects.toThrow('could not be saved');
		expect(await storedRollup(t.db)).toEqual(before);
		expect(await storedConversationDays(t.db)).toEqual(beforeDays);
		// A deleted user takes their events and their rollup rows along.
		await t.db.deleteFrom('user').where('id', '=', users[4]!).execute();
		// A deleted conversation takes its rows of usage per conversation along; its events stay
		// (without a conversation) and so do the totals. One in the trash stays but is not listed.
		const [deleted, trashed] = conversationsOf.get(users[0]!)!;
		const withDeleted = (await rawEvents(t.db)).filter((e) => e.conversation_id === deleted);
		expect(withDeleted.length).toBeGreaterThan(0);
		expect(await deleteConversation(t.db, users[0]!, deleted!)).toBe(true);
		await t.db
			.updateTable('conversation')
			.set({ deleted_at: LAST })
			.where('id', '=', trashed!)
			.execute();
		shown.delete(deleted!);
		shown.delete(trashed!);

		const events = await rawEvents(t.db);
		expect(events.length).toBeGreaterThan(EVENTS * 0.7);
		expect(events.filter((e) => withDeleted.some((d) => d.id === e.id))).toEqual(
			withDeleted.map((e) => ({ ...e, conversation_id: null }))
		);
		expect(await storedRollup(t.db)).toEqual(expectedRollup(events, isLocal));
		expect(await storedConversationDays(t.db)).toEqual(expectedConversationDays(events));
		// The chat's figures for one conversation.
		for (const id of conversationsOf.get(users[1]!)!) {
			const mine = events.filter((e) => e.conversation_id === id);
			const report = await usageReport(t.db, providers, users[1]!, { conversationId: id });
			expect(report.conversation).toMatchObject({
				promptTokens: figures(mine).promptTokens,
				completionTokens: figures(mine).completionTokens,
				costMicroUsd: figures(mine).costMicroUsd,
				estimated: mine.some((e) => e.estimated > 0)
			});
		}
	});

	it('gives the usage page the figures the raw events give, in every zone and period', async () => {
		const events = await rawEvents(t.db);
		const rand = mulberry32(5);
		const days: string[] = [];
		for (let d = '2026-02-18'; d <= '2026-04-22'; d = nextDay(d)) days.push(d);
		for (let round = 0; round < 24; round++) {
			const a = days[Math.floor(rand() * days.length)]!;
			const b = days[Math.floor(rand() * days.length)]!;
			const query: SummaryQuery = {
				userId: rand() < 0.4 ? undefined : users[Math.floor(rand() * 4)]!,
				from: a < b ? a : b,
				to: a < b ? b : a,
				tz: ZONES[round % ZONES.length]!,
				period: PERIODS[Math.floor(rand() * PERIODS.length)]!,
				byUser: true
			};
			const got = await usageSummary(t.db, providers, query);
			const want = expectedSummary(events, query, isLocal, shown);
			const label = JSON.stringify(query);
			expect(got.series, label).toEqual(want.series);
			expect(got.totals, label).toEqual(want.totals);
			expect(got.previous, label).toEqual(want.previous);
			expect(keyed(got.byModel), label).toEqual(want.byModel);
			expect(keyed(got.byProvider), label).toEqual(want.byProvider);
			expect(keyed(got.byKind), label).toEqual(want.byKind);
			expect(got.estimated, label).toBe(want.estimated);
			expect(got.topConversations, label).toEqual(want.topConversations);
			const from = startOfLocalDay(query.from, query.tz)!;
			const to = startOfLocalDay(nextDay(query.to), query.tz)!;
			expect(
				Object.fromEntries(got.byUser!.map((u) => [u.userId, [u.costMicroUsd, u.tokens]])),
				label
			).toEqual(
				Object.fromEntries(
					users.slice(0, 4).map((id) => {
						const mine = events.filter(
							(e) => e.user_id === id && e.created_at >= from && e.created_at < to
						);
						const f = figures(mine);
						return [id, [f.costMicroUsd, f.promptTokens + f.completionTokens]];
					})
				)
			);
		}
	});

	it('is built by its migrations from the events written before them', async () => {
		const migration = MIGRATIONS['2026-11-30T02-usage-rollup']!;
		const perConversation = MIGRATIONS['2026-11-30T17-usage-conversation-day']!;
		const hours = MIGRATIONS['2026-11-30T17-usage-rollup-hours']!;
		const now = Date.now();
		const llama = await t.db
			.insertInto('provider')
			.values({
				kind: 'llamacpp',
				name: 'Den',
				base_url: 'http://x',
				created_at: now,
				updated_at: now
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		const cloud = await t.db
			.insertInto('provider')
			.values({
				kind: 'openai',
				name: 'Cloud',
				base_url: 'https://x',
				created_at: now,
				updated_at: now
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		await hours.down!(t.db);
		await perConversation.down!(t.db);
		await migration.down!(t.db);
		const rand = mulberry32(3);
		const ids = [...shown.keys()];
		const providerIds = ['llama', 'openai', `p${llama.id}`, `p${cloud.id}`];
		await t.db
			.insertInto('usage_event')
			.values(
				Array.from({ length: 120 }, () => ({
					user_id: users[Math.floor(rand() * 4)]!,
					conversation_id: rand() < 0.2 ? null : ids[Math.floor(rand() * ids.length)]!,
					source: 'chat' as const,
					provider: providerIds[Math.floor(rand() * providerIds.length)]!,
					model: rand() < 0.5 ? 'a' : 'b',
					prompt_tokens: Math.floor(rand() * 1000),
					completion_tokens: Math.floor(rand() * 1000),
					cached_tokens: Math.floor(rand() * 10),
					reasoning_tokens: Math.floor(rand() * 10),
					cost_micro_usd: Math.floor(rand() * 10_000),
					estimated: rand() < 0.3 ? 1 : 0,
					created_at: FIRST + Math.floor(rand() * 30) * ROLLUP_QUARTER_MS * 7
				}))
			)
			.execute();
		await migration.up(t.db);
		await perConversation.up(t.db);
		await hours.up(t.db);
		// Local is what the provider's kind says (the configured llama.cpp, or an admin's llama.cpp).
		const backfilled = new Set(['llama', `p${llama.id}`]);
		const events = await rawEvents(t.db);
		expect(await storedRollup(t.db)).toEqual(expectedRollup(events, (p) => backfilled.has(p)));
		expect(await storedConversationDays(t.db)).toEqual(expectedConversationDays(events));
	});
});
