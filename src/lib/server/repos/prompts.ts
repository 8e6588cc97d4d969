// Saved prompts and presets: a user's own rows and the shared ones (user_id null).
import type { Executor } from '$lib/server/db/database';
import type { Preset, PresetTable, SavedPrompt, SavedPromptTable } from '$lib/server/db/schema';
import type { Insertable, Updateable } from 'kysely';

type Table = 'saved_prompt' | 'preset';

/** The user's rows and the shared ones, shared first, then by name. */
export function listPrompts(db: Executor, userId: number): Promise<SavedPrompt[]> {
	return db
		.selectFrom('saved_prompt')
		.selectAll()
		.where((eb) => eb.or([eb('user_id', '=', userId), eb('user_id', 'is', null)]))
		.orderBy('command')
		.orderBy('id')
		.execute();
}

export function listPresets(db: Executor, userId: number): Promise<Preset[]> {
	return db
		.selectFrom('preset')
		.selectAll()
		.where((eb) => eb.or([eb('user_id', '=', userId), eb('user_id', 'is', null)]))
		.orderBy('name')
		.orderBy('id')
		.execute();
}

/** A row the user can see (their own or a shared one). */
export function findVisiblePrompt(
	db: Executor,
	userId: number,
	id: number
): Promise<SavedPrompt | undefined> {
	return db
		.selectFrom('saved_prompt')
		.selectAll()
		.where('id', '=', id)
		.where((eb) => eb.or([eb('user_id', '=', userId), eb('user_id', 'is', null)]))
		.executeTakeFirst();
}

export function findVisiblePreset(
	db: Executor,
	userId: number,
	id: number
): Promise<Preset | undefined> {
	return db
		.selectFrom('preset')
		.selectAll()
		.where('id', '=', id)
		.where((eb) => eb.or([eb('user_id', '=', userId), eb('user_id', 'is', null)]))
		.executeTakeFirst();
}

/** Whether `owner` (null: shared) already has a row named `name`, other than `exceptId`. */
export async function nameTaken(
	db: Executor,
	table: Table,
	owner: number | null,
	name: string,
	exceptId: number | null
): Promise<boolean> {
	const column = table === 'saved_prompt' ? 'command' : 'name';
	let query = db
		.selectFrom(table)
		.select('id')
		.where(column, '=', name)
		.where('user_id', owner === null ? 'is' : '=', owner);
	if (exceptId !== null) query = query.where('id', '!=', exceptId);
	return (await query.executeTakeFirst()) !== undefined;
}

export async function insertPrompt(
	db: Executor,
	row: Insertable<SavedPromptTable>
): Promise<SavedPrompt> {
	return db.insertInto('saved_prompt').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updatePrompt(
	db: Executor,
	id: number,
	patch: { command?: string; title?: string; text?: string; updated_at: number }
): Promise<SavedPrompt> {
	return db
		.updateTable('saved_prompt')
		.set(patch)
		.where('id', '=', id)
		.returningAll()
		.executeTakeFirstOrThrow();
}

export async function insertPreset(db: Executor, row: Insertable<PresetTable>): Promise<Preset> {
	return db.insertInto('preset').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updatePreset(
	db: Executor,
	id: number,
	patch: Updateable<PresetTable>
): Promise<Preset> {
	return db
		.updateTable('preset')
		.set(patch)
		.where('id', '=', id)
		.returningAll()
		.executeTakeFirstOrThrow();
}

/** Clears the default mark from the owner's presets (null: the shared ones). */
export async function clearDefaultPreset(db: Executor, owner: number | null): Promise<void> {
	await db
		.updateTable('preset')
		.set({ is_default: 0 })
		.where('user_id', owner === null ? 'is' : '=', owner)
		.where('is_default', '=', 1)
		.execute();
}

export async function deleteRow(db: Executor, table: Table, id: number): Promise<void> {
	await db.deleteFrom(table).where('id', '=', id).execute();
}
