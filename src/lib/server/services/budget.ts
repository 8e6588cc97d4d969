// Monthly budgets: what a user has spent this calendar month (UTC) against what the admin allows.
// The check runs inside the send transaction, after the per-user lock (PostgreSQL: the user row
// FOR UPDATE; SQLite: one writer), and counts each queued or running reply as a reservation, so
// two sends racing at 99 % cannot both pass. A /v1 request has no job: `reserveApiRequest` takes
// the same lock and holds an in-memory reservation until its usage is recorded (Hearth is one
// process; a restart ends every /v1 request with it, so nothing outlives the map).
import type { Database, Executor } from '$lib/server/db/database';
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

/** Why a new reply may not start now, or null. Call inside the transaction that enqueues it. */
export async function budgetRefusal(
	trx: Executor,
	userId: number,
	now: number
): Promise<BudgetRefusal | null> {
	const budget = await usage.getMonthlyBudget(trx, userId);
	if (budget === null) return null;
	const { start, end } = monthBounds(now);
	const spent = await usage.spentSince(trx, userId, start);
	const active = (await jobs.countActiveJobs(trx, userId)) + (apiInFlight.get(userId) ?? 0);
	const reservation =
		active === 0
			? 0
			: active *
				Math.max(
					budget * MIN_RESERVATION_RATIO,
					await usage.meanReplyCostSince(trx, userId, start)
				);
	if (spent + reservation < budget) return null;
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

/** /v1 requests per user that passed the budget check and have not recorded their usage yet. */
const apiInFlight = new Map<number, number>();

/**
 * The /v1 check-and-reserve, atomic per user like a chat send: under the user's lock, the budget
 * (counting queued replies and running /v1 requests), then this request's reservation. Call
 * `settle` once its usage is recorded (or it never ran).
 */
export async function reserveApiRequest(
	db: Database,
	userId: number,
	now: number
): Promise<BudgetRefusal | { ok: true; settle: () => void }> {
	return db.transaction().execute(async (trx) => {
		await lockUser(trx, userId);
		const refusal = await budgetRefusal(trx, userId, now);
		if (refusal) return refusal;
		apiInFlight.set(userId, (apiInFlight.get(userId) ?? 0) + 1);
		let settled = false;
		return {
			ok: true as const,
			settle() {
				if (settled) return;
				settled = true;
				const left = (apiInFlight.get(userId) ?? 1) - 1;
				if (left > 0) apiInFlight.set(userId, left);
				else apiInFlight.delete(userId);
			}
		};
	});
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
