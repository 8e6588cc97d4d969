import { getDefaultBudget } from '$lib/server/repos/usage';
import type { Executor } from '$lib/server/db/database';
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
