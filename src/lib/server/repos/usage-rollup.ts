// The usage rollup (usage_rollup): sums of usage events per user, provider, model and
// local-or-cloud in quarter-hour, UTC-hour and UTC-day buckets, which the usage page reads instead of the
// events. Written with each event (repos/usage.ts insertUsageEvent); filled by its migration.
import { sql } from 'kysely';
import type { Executor } from '$lib/server/db/database';
import type { NewUsageEvent } from '$lib/server/db/schema';

/** The rollup's spans: quarter hours (every zone's day starts on one), UTC hours and UTC days. */
export const ROLLUP_QUARTER_MS = 15 * 60_000;
export const ROLLUP_HOUR_MS = 3_600_000;
export const ROLLUP_DAY_MS = 86_400_000;
/** Rollup ranges per query (a UNION ALL of index ranges; SQLite allows 500 compound selects). */
const RANGES_PER_QUERY = 100;

/** Rollup rows of one span whose bucket starts in [from, to). */
export interface RollupRange {
	spanMs: number;
	from: number;
	to: number;
}

const ROLLUP_SUMS = [
	'prompt_tokens',
	'completion_tokens',
	'cached_tokens',
	'cache_write_tokens',
	'reasoning_tokens',
	'cost_micro_usd',
	'replies',
	'estimated'
] as const;

const ROLLUP_SPANS = [ROLLUP_QUARTER_MS, ROLLUP_HOUR_MS, ROLLUP_DAY_MS];

/** Adds one usage event to its quarter-hour, hour and day rows (inside the event's transaction). */
export async function addToRollup(db: Executor, row: NewUsageEvent, local: boolean) {
	const sums = {
		prompt_tokens: row.prompt_tokens ?? 0,
		completion_tokens: row.completion_tokens ?? 0,
		cached_tokens: row.cached_tokens ?? 0,
		cache_write_tokens: row.cache_write_tokens ?? 0,
		reasoning_tokens: row.reasoning_tokens ?? 0,
		cost_micro_usd: row.cost_micro_usd ?? 0,
		replies: 1,
		estimated: row.estimated ? 1 : 0
	};
	const key = {
		user_id: row.user_id,
		provider: row.provider,
		model: row.model,
		local: local ? 1 : 0
	};
	await db
		.insertInto('usage_rollup')
		.values(
			ROLLUP_SPANS.map((span) => ({
				...key,
				...sums,
				span_ms: span,
				bucket_at: Math.floor(row.created_at / span) * span
			}))
		)
		.onConflict((oc) =>
			oc
				.columns(['span_ms', 'bucket_at', 'user_id', 'provider', 'model', 'local'])
				.doUpdateSet((eb) =>
					Object.fromEntries(
						ROLLUP_SUMS.map((c) => [c, eb(`usage_rollup.${c}`, '+', eb.ref(`excluded.${c}`))])
					)
				)
		)
		.execute();
}

function chunks<T>(list: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

/**
 * Rows in any of `ranges`, as `r`: one index range scan each (the user's index, or the primary
 * key's), put together with UNION ALL rather than OR, so that PostgreSQL reads each range from its
 * covering index alone instead of a bitmap over the whole table's pages.
 */
function rollupIn(db: Executor, userId: number | undefined, ranges: RollupRange[]) {
	const parts = ranges.map((range) => {
		let part = db
			.selectFrom('usage_rollup')
			.where('span_ms', '=', range.spanMs)
			.where('bucket_at', '>=', range.from)
			.where('bucket_at', '<', range.to);
		if (userId !== undefined) part = part.where('user_id', '=', userId);
		return part.select([
			'user_id',
			'span_ms',
			'bucket_at',
			'provider',
			'model',
			'local',
			'prompt_tokens',
			'completion_tokens',
			'cached_tokens',
			'reasoning_tokens',
			'cost_micro_usd',
			'replies',
			'estimated'
		]);
	});
	const [first, ...rest] = parts;
	if (!first) throw new Error('rollupIn needs at least one range');
	return db.selectFrom(rest.reduce((all, part) => all.unionAll(part), first).as('r'));
}

export interface RollupRow {
	spanMs: number;
	bucketAt: number;
	provider: string;
	model: string;
	local: boolean;
	prompt: number;
	completion: number;
	cached: number;
	reasoning: number;
	cost: number;
	replies: number;
	estimated: number;
}

/** The query of rollupRows for at most RANGES_PER_QUERY ranges (exported for EXPLAIN). */
export function rollupRowsQuery(db: Executor, userId: number | undefined, ranges: RollupRange[]) {
	return rollupIn(db, userId, ranges)
		.select(({ fn }) => [
			'r.span_ms',
			'r.bucket_at',
			'r.provider',
			'r.model',
			'r.local',
			fn.sum<number>('r.prompt_tokens').as('prompt'),
			fn.sum<number>('r.completion_tokens').as('completion'),
			fn.sum<number>('r.cached_tokens').as('cached'),
			fn.sum<number>('r.reasoning_tokens').as('reasoning'),
			fn.sum<number>('r.cost_micro_usd').as('cost'),
			fn.sum<number>('r.replies').as('replies'),
			fn.sum<number>('r.estimated').as('estimated')
		])
		.groupBy(['r.span_ms', 'r.bucket_at', 'r.provider', 'r.model', 'r.local']);
}

/** Rollup rows in `ranges`, one user's or (undefined) everyone's summed together. */
export async function rollupRows(
	db: Executor,
	userId: number | undefined,
	ranges: RollupRange[]
): Promise<RollupRow[]> {
	const rows: RollupRow[] = [];
	for (const part of chunks(ranges, RANGES_PER_QUERY)) {
		const found = await rollupRowsQuery(db, userId, part).execute();
		for (const r of found)
			rows.push({
				spanMs: Number(r.span_ms),
				bucketAt: Number(r.bucket_at),
				provider: r.provider,
				model: r.model,
				local: Number(r.local) === 1,
				prompt: Number(r.prompt),
				completion: Number(r.completion),
				cached: Number(r.cached),
				reasoning: Number(r.reasoning),
				cost: Number(r.cost),
				replies: Number(r.replies),
				estimated: Number(r.estimated)
			});
	}
	return rows;
}

export interface UserTotalRow {
	userId: number;
	username: string;
	cost: number;
	tokens: number;
	budget: number | null;
}

/**
 * Every user with their totals in `ranges` of the rollup (the admin's view), users without usage
 * included. The ranges must not overlap.
 */
export async function totalsByUser(db: Executor, ranges: RollupRange[]): Promise<UserTotalRow[]> {
	const totals = new Map<number, { cost: number; tokens: number }>();
	for (const part of chunks(ranges, RANGES_PER_QUERY)) {
		const found = await rollupIn(db, undefined, part)
			.select(({ fn }) => [
				'r.user_id',
				fn.sum<number>('r.cost_micro_usd').as('cost'),
				sql<number>`sum(r.prompt_tokens + r.completion_tokens)`.as('tokens')
			])
			.groupBy('r.user_id')
			.execute();
		for (const r of found) {
			const sum = totals.get(r.user_id) ?? { cost: 0, tokens: 0 };
			totals.set(r.user_id, {
				cost: sum.cost + Number(r.cost),
				tokens: sum.tokens + Number(r.tokens)
			});
		}
	}
	const users = await db
		.selectFrom('user')
		.select(['id', 'username', 'monthly_budget_micro_usd'])
		.orderBy('username')
		.execute();
	return users.map((u) => ({
		userId: u.id,
		username: u.username,
		cost: totals.get(u.id)?.cost ?? 0,
		tokens: totals.get(u.id)?.tokens ?? 0,
		budget: u.monthly_budget_micro_usd === null ? null : Number(u.monthly_budget_micro_usd)
	}));
}

/** Sums of `ranges` of the rollup without grouping (the "period before" figures). */
export async function rollupTotals(
	db: Executor,
	userId: number | undefined,
	ranges: RollupRange[]
) {
	const totals = { prompt: 0, completion: 0, cached: 0, reasoning: 0, cost: 0, replies: 0 };
	for (const part of chunks(ranges, RANGES_PER_QUERY)) {
		const row = await rollupIn(db, userId, part)
			.select(({ fn }) => [
				fn.sum<number>('r.prompt_tokens').as('prompt'),
				fn.sum<number>('r.completion_tokens').as('completion'),
				fn.sum<number>('r.cached_tokens').as('cached'),
				fn.sum<number>('r.reasoning_tokens').as('reasoning'),
				fn.sum<number>('r.cost_micro_usd').as('cost'),
				fn.sum<number>('r.replies').as('replies')
			])
			.executeTakeFirstOrThrow();
		for (const key of Object.keys(totals) as (keyof typeof totals)[])
			totals[key] += Number(row[key] ?? 0);
	}
	return totals;
}
