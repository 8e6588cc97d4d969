// The admin's model aliases: a familiar model name mapped to a provider's model.
import type { Executor } from '$lib/server/db/database';
import type { ModelAlias, NewModelAlias } from '$lib/server/db/schema';

export function listModelAliases(db: Executor): Promise<ModelAlias[]> {
	return db.selectFrom('model_alias').selectAll().orderBy('name').execute();
}

export function findModelAlias(db: Executor, name: string): Promise<ModelAlias | undefined> {
	return db.selectFrom('model_alias').selectAll().where('name', '=', name).executeTakeFirst();
}

export function insertModelAlias(db: Executor, row: NewModelAlias): Promise<ModelAlias> {
	return db.insertInto('model_alias').values(row).returningAll().executeTakeFirstOrThrow();
}

export function updateModelAlias(
	db: Executor,
	id: number,
	values: Omit<NewModelAlias, 'created_at'>
): Promise<ModelAlias | undefined> {
	return db
		.updateTable('model_alias')
		.set(values)
		.where('id', '=', id)
		.returningAll()
		.executeTakeFirst();
}

export async function deleteModelAlias(db: Executor, id: number): Promise<boolean> {
	const result = await db.deleteFrom('model_alias').where('id', '=', id).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}
