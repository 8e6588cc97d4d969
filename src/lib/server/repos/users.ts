import { getDefaultBudget } from '$lib/server/repos/usage';
import { dialectOf, type Executor } from '$lib/server/db/database';
import type { NewUser, Role, User } from '$lib/server/db/schema';

export function findUserByUsername(db: Executor, username: string): Promise<User | undefined> {
	return db.selectFrom('user').selectAll().where('username', '=', username).executeTakeFirst();
}

export function findUserById(db: Executor, id: number): Promise<User | undefined> {
	return db.selectFrom('user').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countUsers(db: Executor, role?: Role): Promise<number> {
	let query = db.selectFrom('user').select((eb) => eb.fn.countAll<number>().as('n'));
	if (role) query = query.where('role', '=', role);
	const row = await query.executeTakeFirstOrThrow();
	return Number(row.n);
}

export function listUsers(
	db: Executor
): Promise<Pick<User, 'id' | 'username' | 'role' | 'created_at'>[]> {
	return db
		.selectFrom('user')
		.select(['id', 'username', 'role', 'created_at'])
		.orderBy('username')
		.execute();
}

/** A new user gets the admin's default monthly budget unless one is given. */
export async function insertUser(db: Executor, user: NewUser): Promise<User> {
	const budget =
		user.monthly_budget_micro_usd === undefined
			? await getDefaultBudget(db)
			: user.monthly_budget_micro_usd;
	return db
		.insertInto('user')
		.values({ ...user, monthly_budget_micro_usd: budget })
		.returningAll()
		.executeTakeFirstOrThrow();
}

export async function updatePasswordHash(
	db: Executor,
	userId: number,
	passwordHash: string,
	now: number
): Promise<void> {
	await db
		.updateTable('user')
		.set({ password_hash: passwordHash, updated_at: now })
		.where('id', '=', userId)
		.execute();
}

export async function deleteUser(db: Executor, userId: number): Promise<boolean> {
	const result = await db.deleteFrom('user').where('id', '=', userId).executeTakeFirst();
	return result.numDeletedRows > 0n;
}

/**
 * Locks the user's row until the transaction ends (PostgreSQL; SQLite already writes one
 * transaction at a time), so checks of a per-user limit hold under a burst.
 */
export async function lockUser(trx: Executor, userId: number): Promise<void> {
	if (dialectOf(trx) === 'postgres')
		await trx.selectFrom('user').select('id').where('id', '=', userId).forUpdate().execute();
}

/** The user's settings JSON, or undefined when there is no such user. */
export async function findUserSettings(db: Executor, userId: number): Promise<string | undefined> {
	const row = await db
		.selectFrom('user')
		.select('settings')
		.where('id', '=', userId)
		.executeTakeFirst();
	return row?.settings;
}

export async function updateUserSettings(
	db: Executor,
	userId: number,
	settings: string,
	now: number
): Promise<void> {
	await db
		.updateTable('user')
		.set({ settings, updated_at: now })
		.where('id', '=', userId)
		.execute();
}
