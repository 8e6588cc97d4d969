// Monthly budgets: what a user has spent this calendar month (UTC) against what the admin allows.
// The check runs inside the send transaction, after the per-user lock (PostgreSQL: the user row
// FOR UPDATE; SQLite: one writer), and counts each queued or running reply as a reservation, so
// two sends racing at 99 % cannot both pass. A /v1 request has no job: `reserveApiRequest` takes
// the same lock and writes a `budget_reservation` row until its usage is recorded, so every
// instance on one PostgreSQL sees it; a row expires, so a crashed instance cannot hold a budget.
import type { Database, Executor } from '$lib/server/db/database';
import { getLogger } from '$lib/server/log';
import * as reservations from '$lib/server/repos/budget-reservations';
import { lockUser } from '$lib/server/repos/users';
import * as jobs from '$lib/server/repos/jobs';
import * as usage from '$lib/server/repos/usage';
import { BUDGET_WARNING_PERCENT } from '$lib/shared/budget';
import { formatUsd } from '$lib/shared/prices';
import type { BudgetStatusDto } from '$lib/shared/dto';

export const BUDGET_WARNING_RATIO = BUDGET_WARNING_PERCENT / 100;
/** A queued or running reply reserves at least this share of the budget (its cost is unknown yet). */
export const MIN_RESERVATION_RATIO = 0.01;
/** The largest budget an admin can set: USD 1,000,000 a month. */
export const MAX_BUDGET_MICRO_USD = 1_000_000 * 1_000_000;

/** The first instant of `now`'s month and of the next one, in UTC. */
export function monthBounds(now: number): { start: number; end: number } {
	const date = new Date(now);
	return {
		start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1),
		end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
	};
}

export async function budgetStatus(
	db: Executor,
	userId: number,
	now: number
): Promise<BudgetStatusDto> {
	const { start, end } = monthBounds(now);
	const budget = await usage.getMonthlyBudget(db, userId);
	const spent = await usage.spentSince(db, userId, start);
	const level =
		budget === null
			? 'none'
			: spent >= budget
				? 'exceeded'
				: spent >= budget * BUDGET_WARNING_RATIO
					? 'warning'
					: 'ok';
	return {
		budgetMicroUsd: budget,
		spentMicroUsd: spent,
		leftMicroUsd: budget === null ? null : Math.max(0, budget - spent),
		level,
		resetsAt: end
	};
}

export type BudgetRefusal = { ok: false; code: 'budget_exceeded'; message: string };

/** What one queued or running reply is expected to cost: its share of the budget. */
async function replyEstimate(trx: Executor, userId: number, budget: number, start: number) {
	return Math.max(
		budget * MIN_RESERVATION_RATIO,
		await usage.meanReplyCostSince(trx, userId, start)
	);
}

/**
 * Why a new reply may not start now, or null: this month's spending plus the queued and running
 * replies and the /v1 requests still reserved (every instance's). Call inside the transaction that
 * enqueues it, after `lockUser`.
 */
export async function budgetRefusal(
	trx: Executor,
	userId: number,
	now: number
): Promise<BudgetRefusal | null> {
	const budget = await usage.getMonthlyBudget(trx, userId);
	if (budget === null) return null;
	const { start, end } = monthBounds(now);
	const spent = await usage.spentSince(trx, userId, start);
	const jobCount = await jobs.countActiveJobs(trx, userId);
	const reserved =
		(jobCount === 0 ? 0 : jobCount * (await replyEstimate(trx, userId, budget, start))) +
		(await reservations.sumReservations(trx, userId, now));
	if (spent + reserved < budget) return null;
	const resets = new Date(end).toISOString().slice(0, 10);
	return {
		ok: false,
		code: 'budget_exceeded',
		message:
			spent >= budget
				? `You have used this month's budget of ${formatUsd(budget)}; it resets on ${resets} (UTC).`
				: `Your replies in progress would use the rest of this month's budget of ${formatUsd(budget)}; wait for them to finish. The budget resets on ${resets} (UTC).`
	};
}

/**
 * The /v1 check-and-reserve, atomic per user like a chat send and across instances: under the
 * user's lock, the budget (counting queued replies and every instance's reservations), then this
 * request's reservation row, in force for `ttlMs` (the longest the request can run). Await
 * `settle` once its usage is recorded (or it never ran); a user without a budget reserves nothing.
 */
export async function reserveApiRequest(
	db: Database,
	userId: number,
	now: number,
	ttlMs: number
): Promise<BudgetRefusal | { ok: true; settle: () => Promise<void> }> {
	// Without a budget there is nothing to reserve: no lock, no transaction. A budget set at this
	// very moment applies from the next request, as if this one had come a moment earlier.
	if ((await usage.getMonthlyBudget(db, userId)) === null)
		return { ok: true, settle: async () => {} };
	const reserved = await db.transaction().execute(async (trx) => {
		await lockUser(trx, userId);
		const refusal = await budgetRefusal(trx, userId, now);
		if (refusal) return refusal;
		const budget = await usage.getMonthlyBudget(trx, userId);
		if (budget === null) return { ok: true as const, id: null };
		await reservations.deleteExpiredReservations(trx, userId, now);
		const amount = await replyEstimate(trx, userId, budget, monthBounds(now).start);
		const id = await reservations.insertReservation(trx, {
			user_id: userId,
			amount_micro_usd: Math.ceil(amount),
			created_at: now,
			expires_at: now + ttlMs
		});
		return { ok: true as const, id };
	});
	if (!reserved.ok) return reserved;
	const reservationId = reserved.id;
	let settled = false;
	return {
		ok: true,
		async settle() {
			if (settled || reservationId === null) return;
			settled = true;
			// A failed delete is not the request's failure: the row expires on its own.
			await reservations
				.deleteReservation(db, reservationId)
				.catch((error: unknown) =>
					getLogger().warn({ err: error }, 'could not settle a budget reservation')
				);
		}
	};
}

/** The admin sets a user's budget (null: none); false when there is no such user. */
export function setUserBudget(db: Executor, userId: number, microUsd: number | null, now: number) {
	return usage.setMonthlyBudget(db, userId, microUsd, now);
}

/** The budget each new account starts with (null: none). Existing accounts keep theirs. */
export function setDefaultBudget(db: Executor, microUsd: number | null, now: number) {
	return usage.setDefaultBudget(db, microUsd, now);
}

export function getDefaultBudget(db: Executor) {
	return usage.getDefaultBudget(db);
}
