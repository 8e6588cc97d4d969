// Attempt counters for password checks, one row per key. Each statement is atomic on its own
// (SQLite has one writer; PostgreSQL locks the row an upsert updates), so no transaction is held.
import type { Executor } from '$lib/server/db/database';

export type Reserved = { ok: true; windowEndsAt: number } | { ok: false; windowEndsAt: number };

/**
 * Counts one attempt under `key` unless `limit` attempts are already counted in its window; a
 * spent window starts over at this attempt. Refused attempts count nothing.
 */
export async function reserveAttempt(
	db: Executor,
	key: string,
	limit: number,
	windowMs: number,
	now: number
): Promise<Reserved> {
	const fresh = now + windowMs;
	const row = await db
		.insertInto('auth_throttle')
		.values({ key, attempts: 1, window_ends_at: fresh })
		.onConflict((oc) =>
			oc
				.column('key')
				.doUpdateSet((eb) => ({
					attempts: eb
						.case()
						.when('auth_throttle.window_ends_at', '<=', now)
						.then(1)
						.else(eb('auth_throttle.attempts', '+', 1))
						.end(),
					window_ends_at: eb
						.case()
						.when('auth_throttle.window_ends_at', '<=', now)
						.then(fresh)
						.else(eb.ref('auth_throttle.window_ends_at'))
						.end()
				}))
				.where((eb) =>
					eb.or([
						eb('auth_throttle.window_ends_at', '<=', now),
						eb('auth_throttle.attempts', '<', limit)
					])
				)
		)
		.returning('window_ends_at')
		.executeTakeFirst();
	if (row) return { ok: true, windowEndsAt: row.window_ends_at };
	const locked = await db
		.selectFrom('auth_throttle')
		.select('window_ends_at')
		.where('key', '=', key)
		.executeTakeFirst();
	return { ok: false, windowEndsAt: locked?.window_ends_at ?? now };
}

/** Gives back an attempt whose password was never checked; a no-op once its window is over. */
export async function releaseAttempt(
	db: Executor,
	key: string,
	windowEndsAt: number
): Promise<void> {
	await db
		.updateTable('auth_throttle')
		.set((eb) => ({ attempts: eb('attempts', '-', 1) }))
		.where('key', '=', key)
		.where('window_ends_at', '=', windowEndsAt)
		.where('attempts', '>', 0)
		.execute();
}

export async function clearAttempts(db: Executor, keys: string[]): Promise<number> {
	if (keys.length === 0) return 0;
	const result = await db.deleteFrom('auth_throttle').where('key', 'in', keys).executeTakeFirst();
	return Number(result.numDeletedRows);
}

/** Only spent windows go: a key still locked keeps its row however many others there are. */
export async function deleteSpentAttempts(db: Executor, now: number): Promise<number> {
	const result = await db
		.deleteFrom('auth_throttle')
		.where('window_ends_at', '<=', now)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}
