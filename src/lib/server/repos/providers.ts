import { sql } from 'kysely';
import type { Executor } from '$lib/server/db/database';
import type { NewProviderRow, ProviderRow, ProviderRowUpdate } from '$lib/server/db/schema';

/** Shared (admin-managed) providers: user_id is null. */
export function listSharedProviders(db: Executor): Promise<ProviderRow[]> {
	return db.selectFrom('provider').selectAll().where('user_id', 'is', null).orderBy('id').execute();
}

export function findSharedProvider(db: Executor, id: number): Promise<ProviderRow | undefined> {
	return db
		.selectFrom('provider')
		.selectAll()
		.where('id', '=', id)
		.where('user_id', 'is', null)
		.executeTakeFirst();
}

/** A shared provider with this name, ignoring case (names must tell providers apart). */
export function findSharedProviderByName(
	db: Executor,
	name: string
): Promise<ProviderRow | undefined> {
	return db
		.selectFrom('provider')
		.selectAll()
		.where('user_id', 'is', null)
		.where(sql<string>`lower(name)`, '=', name.toLowerCase())
		.executeTakeFirst();
}

export function insertProvider(db: Executor, row: NewProviderRow): Promise<ProviderRow> {
	return db.insertInto('provider').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateProvider(db: Executor, id: number, update: ProviderRowUpdate) {
	await db.updateTable('provider').set(update).where('id', '=', id).execute();
}

export async function deleteSharedProvider(db: Executor, id: number): Promise<boolean> {
	const result = await db
		.deleteFrom('provider')
		.where('id', '=', id)
		.where('user_id', 'is', null)
		.executeTakeFirst();
	return result.numDeletedRows > 0n;
}
