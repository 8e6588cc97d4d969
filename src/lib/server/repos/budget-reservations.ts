// Running /v1 requests' budget reservations, shared by every instance on the database (read and
// written under the user's lock, see repos/users.ts `lockUser`).
import { sql } from 'kysely';
import type { Executor } from '$lib/server/db/database';
import type { NewBudgetReservation } from '$lib/server/db/schema';

export async function insertReservation(db: Executor, row: NewBudgetReservation): Promise<number> {
	const inserted = await db
		.insertInto('budget_reservation')
		.values(row)
		.returning('id')
		.executeTakeFirstOrThrow();
	return Number(inserted.id);
}

export async function deleteReservation(db: Executor, id: number): Promise<void> {
	await db.deleteFrom('budget_reservation').where('id', '=', id).execute();
}

/** The sum of a user's reservations still in force at `now`. */
export async function sumReservations(db: Executor, userId: number, now: number): Promise<number> {
	const row = await db
		.selectFrom('budget_reservation')
		.select(({ fn }) => fn.coalesce(fn.sum<number>('amount_micro_usd'), sql.lit(0)).as('amount'))
		.where('user_id', '=', userId)
		.where('expires_at', '>', now)
		.executeTakeFirstOrThrow();
	return Number(row.amount);
}

/** Removes a user's reservations that expired (their instance never settled them). */
export async function deleteExpiredReservations(
	db: Executor,
	userId: number,
	now: number
): Promise<void> {
	await db
		.deleteFrom('budget_reservation')
		.where('user_id', '=', userId)
		.where('expires_at', '<=', now)
		.execute();
}

/** The sweeper's pass: every user's expired reservations. */
export async function deleteAllExpiredReservations(db: Executor, now: number): Promise<number> {
	const result = await db
		.deleteFrom('budget_reservation')
		.where('expires_at', '<=', now)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}
