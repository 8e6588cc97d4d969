// Usage events, their rollups, model price overrides and monthly budgets: the queries behind the
// export and the budget check (the events), and the cost written with each event. The usage page
// reads the rollups (repos/usage-rollup.ts, repos/usage-conversations.ts). Sums are integers on both dialects.
import { sql } from 'kysely';
import type { Executor } from '$lib/server/db/database';
import type { ModelPrice, NewUsageEvent, UsageEvent } from '$lib/server/db/schema';
import { getSetting } from '$lib/server/repos/settings';
import { addToConversationDay } from '$lib/server/repos/usage-conversations';
import { addToRollup, ROLLUP_QUARTER_MS } from '$lib/server/repos/usage-rollup';

export const DEFAULT_BUDGET_SETTING = 'default_monthly_budget_micro_usd';

export interface UsageFilter {
	/** undefined: every user (the admin's view). */
	userId?: number;
	from: number;
	to: number;
	conversationId?: number;
}

/**
 * Writes one usage event and adds it to its rows of the rollups (usage_rollup and
 * usage_conversation_day): call it in the transaction that records the reply, so the rollups
 * never disagree with the events.
 */
export async function insertUsageEvent(
	db: Executor,
	row: NewUsageEvent,
	local: boolean
): Promise<void> {
	await db.insertInto('usage_event').values(row).execute();
	await addToRollup(db, row, local);
	await addToConversationDay(db, row);
}

function filtered(db: Executor, filter: UsageFilter) {
	let query = db
		.selectFrom('usage_event as u')
		.where('u.created_at', '>=', filter.from)
		.where('u.created_at', '<', filter.to);
	if (filter.userId !== undefined) query = query.where('u.user_id', '=', filter.userId);
	if (filter.conversationId !== undefined)
		query = query.where('u.conversation_id', '=', filter.conversationId);
	return query;
}

export interface UsageBucketRow {
	bucket: number;
	provider: string;
	model: string;
	prompt: number;
	completion: number;
	cached: number;
	reasoning: number;
	cost: number;
	replies: number;
	estimated: number;
}

/**
 * Sums of the events per quarter hour, provider and model: what the usage page read before the
 * rollups (the bench's baseline).
 */
export async function usageBuckets(db: Executor, filter: UsageFilter): Promise<UsageBucketRow[]> {
	const bucket = sql<number>`u.created_at / ${sql.lit(ROLLUP_QUARTER_MS)}`;
	const rows = await filtered(db, filter)
		.select(({ fn }) => [
			bucket.as('bucket'),
			'u.provider',
			'u.model',
			fn.sum<number>('u.prompt_tokens').as('prompt'),
			fn.sum<number>('u.completion_tokens').as('completion'),
			fn.sum<number>('u.cached_tokens').as('cached'),
			fn.sum<number>('u.reasoning_tokens').as('reasoning'),
			fn.sum<number>('u.cost_micro_usd').as('cost'),
			fn.countAll<number>().as('replies'),
			fn.max<number>('u.estimated').as('estimated')
		])
		.groupBy([bucket, 'u.provider', 'u.model'])
		.execute();
	return rows.map((r) => ({
		bucket: Number(r.bucket),
		provider: r.provider,
		model: r.model,
		prompt: Number(r.prompt),
		completion: Number(r.completion),
		cached: Number(r.cached),
		reasoning: Number(r.reasoning),
		cost: Number(r.cost),
		replies: Number(r.replies),
		estimated: Number(r.estimated)
	}));
}

export type ExportRow = Pick<
	UsageEvent,
	| 'id'
	| 'created_at'
	| 'conversation_id'
	| 'provider'
	| 'model'
	| 'prompt_tokens'
	| 'completion_tokens'
	| 'reasoning_tokens'
	| 'cached_tokens'
	| 'cache_write_tokens'
	| 'cost_micro_usd'
	| 'estimated'
> & { user_id: number; username: string; title: string | null; status: string | null };

/** Where an export page ended: the next page starts after this event (time order, then id). */
export interface ExportCursor {
	at: number;
	id: number;
}

/**
 * One page of events in time order after `cursor` (keyset paging: each page is an index range
 * scan, so a long export stays linear).
 */
export function exportPage(
	db: Executor,
	filter: UsageFilter,
	cursor: ExportCursor | null,
	limit: number
): Promise<ExportRow[]> {
	let query = filtered(db, filter);
	if (cursor)
		query = query
			.where('u.created_at', '>=', cursor.at)
			.where((eb) => eb.or([eb('u.created_at', '>', cursor.at), eb('u.id', '>', cursor.id)]));
	return query
		.innerJoin('user', 'user.id', 'u.user_id')
		.leftJoin('conversation as c', 'c.id', 'u.conversation_id')
		.leftJoin('message as m', 'm.id', 'u.message_id')
		.select([
			'u.id',
			'u.created_at',
			'u.user_id',
			'user.username',
			'u.conversation_id',
			'c.title',
			'u.provider',
			'u.model',
			'u.prompt_tokens',
			'u.completion_tokens',
			'u.reasoning_tokens',
			'u.cached_tokens',
			'u.cache_write_tokens',
			'u.cost_micro_usd',
			'u.estimated',
			'm.status'
		])
		.orderBy('u.created_at')
		.orderBy('u.id')
		.limit(limit)
		.execute();
}

/** Sum of a user's costs since `from` (their month so far). */
export async function spentSince(db: Executor, userId: number, from: number): Promise<number> {
	const row = await db
		.selectFrom('usage_event')
		.select(({ fn }) => fn.coalesce(fn.sum<number>('cost_micro_usd'), sql.lit(0)).as('cost'))
		.where('user_id', '=', userId)
		.where('created_at', '>=', from)
		.executeTakeFirstOrThrow();
	return Number(row.cost);
}

/** The mean cost of a user's replies since `from`, 0 when none. */
export async function meanReplyCostSince(db: Executor, userId: number, from: number) {
	const row = await db
		.selectFrom('usage_event')
		.select(({ fn }) => [
			fn.coalesce(fn.sum<number>('cost_micro_usd'), sql.lit(0)).as('cost'),
			fn.countAll<number>().as('replies')
		])
		.where('user_id', '=', userId)
		.where('created_at', '>=', from)
		.executeTakeFirstOrThrow();
	const replies = Number(row.replies);
	return replies === 0 ? 0 : Number(row.cost) / replies;
}

export async function getMonthlyBudget(db: Executor, userId: number): Promise<number | null> {
	const row = await db
		.selectFrom('user')
		.select('monthly_budget_micro_usd')
		.where('id', '=', userId)
		.executeTakeFirst();
	const value = row?.monthly_budget_micro_usd;
	return value === null || value === undefined ? null : Number(value);
}

export async function setMonthlyBudget(
	db: Executor,
	userId: number,
	microUsd: number | null,
	now: number
): Promise<boolean> {
	const result = await db
		.updateTable('user')
		.set({ monthly_budget_micro_usd: microUsd, updated_at: now })
		.where('id', '=', userId)
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

export async function getDefaultBudget(db: Executor): Promise<number | null> {
	const raw = await getSetting(db, DEFAULT_BUDGET_SETTING);
	return raw === undefined || raw === '' ? null : Number(raw);
}

export async function setDefaultBudget(db: Executor, microUsd: number | null, now: number) {
	const value = microUsd === null ? '' : String(microUsd);
	await db
		.insertInto('app_setting')
		.values({ key: DEFAULT_BUDGET_SETTING, value, updated_at: now })
		.onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
		.execute();
}

/** The admin's price for exactly this model in force at `at`, if any. */
export function findModelPrice(
	db: Executor,
	model: string,
	at: number
): Promise<ModelPrice | undefined> {
	return db
		.selectFrom('model_price')
		.selectAll()
		.where('model', '=', model)
		.where('effective_from', '<=', at)
		.orderBy('effective_from', 'desc')
		.orderBy('id', 'desc')
		.limit(1)
		.executeTakeFirst();
}

export function listModelPrices(db: Executor): Promise<ModelPrice[]> {
	return db
		.selectFrom('model_price')
		.selectAll()
		.orderBy('model')
		.orderBy('effective_from', 'desc')
		.execute();
}

export async function insertModelPrice(
	db: Executor,
	row: Omit<ModelPrice, 'id'>
): Promise<ModelPrice> {
	return db.insertInto('model_price').values(row).returningAll().executeTakeFirstOrThrow();
}
