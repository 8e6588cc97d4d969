// Usage per conversation (usage_conversation_day): sums per conversation, user and UTC day,
// written with each event (repos/usage.ts insertUsageEvent), filled by its migration. The most
// expensive conversations of a range read its whole UTC days here and its partial days at the
// edges from the events, so they are exact in any time zone.
import { sql } from 'kysely';
import type { Executor } from '$lib/server/db/database';
import type { NewUsageEvent } from '$lib/server/db/schema';
import { ROLLUP_DAY_MS } from '$lib/server/repos/usage-rollup';

const SUMS = [
	'prompt_tokens',
	'completion_tokens',
	'cost_micro_usd',
	'replies',
	'estimated'
] as const;

/** Adds one usage event to its conversation's day (inside the event's transaction). */
export async function addToConversationDay(db: Executor, row: NewUsageEvent): Promise<void> {
	if (row.conversation_id === null || row.conversation_id === undefined) return;
	await db
		.insertInto('usage_conversation_day')
		.values({
			conversation_id: row.conversation_id,
			day_at: Math.floor(row.created_at / ROLLUP_DAY_MS) * ROLLUP_DAY_MS,
			user_id: row.user_id,
			prompt_tokens: row.prompt_tokens ?? 0,
			completion_tokens: row.completion_tokens ?? 0,
			cost_micro_usd: row.cost_micro_usd ?? 0,
			replies: 1,
			estimated: row.estimated ? 1 : 0
		})
		.onConflict((oc) =>
			oc
				.columns(['conversation_id', 'day_at', 'user_id'])
				.doUpdateSet((eb) =>
					Object.fromEntries(
						SUMS.map((c) => [c, eb(`usage_conversation_day.${c}`, '+', eb.ref(`excluded.${c}`))])
					)
				)
		)
		.execute();
}

export interface ConversationRange {
	/** undefined: every user (the admin's view). */
	userId?: number;
	from: number;
	to: number;
}

/** Events of conversations in [from, to): the partial days at a range's edges. */
function eventsIn(db: Executor, userId: number | undefined, from: number, to: number) {
	let query = db
		.selectFrom('usage_event as u')
		.where('u.created_at', '>=', from)
		.where('u.created_at', '<', to)
		.where('u.conversation_id', 'is not', null);
	if (userId !== undefined) query = query.where('u.user_id', '=', userId);
	return query
		.select([
			'u.conversation_id',
			'u.cost_micro_usd as cost',
			sql<number>`u.prompt_tokens + u.completion_tokens`.as('tokens')
		])
		.$narrowType<{ conversation_id: number }>();
}

function daysIn(db: Executor, userId: number | undefined, from: number, to: number) {
	let query = db
		.selectFrom('usage_conversation_day as d')
		.where('d.day_at', '>=', from)
		.where('d.day_at', '<', to);
	if (userId !== undefined) query = query.where('d.user_id', '=', userId);
	return query.select([
		'd.conversation_id',
		'd.cost_micro_usd as cost',
		sql<number>`d.prompt_tokens + d.completion_tokens`.as('tokens')
	]);
}

export interface TopConversationRow {
	conversationId: number;
	title: string;
	cost: number;
	tokens: number;
}

/**
 * The conversations that cost most in [from, to), deleted ones left out (their events count in
 * the totals, without a conversation). Summed per conversation first, then joined.
 */
export async function topConversations(
	db: Executor,
	range: ConversationRange,
	limit: number
): Promise<TopConversationRow[]> {
	const rows = await topConversationsQuery(db, range, limit).execute();
	return rows.map((r) => ({
		conversationId: r.id,
		title: r.title,
		cost: Number(r.cost),
		tokens: Number(r.tokens)
	}));
}

/** The query of topConversations (exported for EXPLAIN). */
export function topConversationsQuery(db: Executor, range: ConversationRange, limit: number) {
	const { userId, from, to } = range;
	const daysFrom = Math.ceil(from / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;
	const daysTo = Math.floor(to / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;
	const parts =
		daysFrom >= daysTo
			? eventsIn(db, userId, from, to)
			: daysIn(db, userId, daysFrom, daysTo)
					.unionAll(eventsIn(db, userId, from, daysFrom))
					.unionAll(eventsIn(db, userId, daysTo, to));
	const sums = db
		.selectFrom(parts.as('p'))
		.select(({ fn }) => [
			'p.conversation_id',
			fn.sum<number>('p.cost').as('cost'),
			fn.sum<number>('p.tokens').as('tokens')
		])
		.groupBy('p.conversation_id')
		.as('s');
	return db
		.selectFrom(sums)
		.innerJoin('conversation as c', 'c.id', 's.conversation_id')
		.where('c.deleted_at', 'is', null)
		.select(['c.id', 'c.title', 's.cost', 's.tokens'])
		.orderBy('s.cost', 'desc')
		.orderBy('c.id')
		.limit(limit);
}

export interface ConversationTotals {
	prompt: number;
	completion: number;
	cost: number;
	replies: number;
	estimated: number;
}

/** One conversation's totals of one user, all time (the chat's figures). */
export async function conversationTotals(
	db: Executor,
	userId: number,
	conversationId: number
): Promise<ConversationTotals> {
	const row = await db
		.selectFrom('usage_conversation_day')
		.where('conversation_id', '=', conversationId)
		.where('user_id', '=', userId)
		.select(({ fn }) => [
			fn.sum<number>('prompt_tokens').as('prompt'),
			fn.sum<number>('completion_tokens').as('completion'),
			fn.sum<number>('cost_micro_usd').as('cost'),
			fn.sum<number>('replies').as('replies'),
			fn.sum<number>('estimated').as('estimated')
		])
		.executeTakeFirstOrThrow();
	return {
		prompt: Number(row.prompt ?? 0),
		completion: Number(row.completion ?? 0),
		cost: Number(row.cost ?? 0),
		replies: Number(row.replies ?? 0),
		estimated: Number(row.estimated ?? 0)
	};
}
