import type { Executor } from '$lib/server/db/database';
import type { ImportRow, ImportState, ImportTable } from '$lib/server/db/schema';
import type { Updateable } from 'kysely';

export const ACTIVE_IMPORT_STATES: ImportState[] = ['queued', 'running'];

export function insertImport(
	db: Executor,
	values: { user_id: number; file_name: string; bytes_total: number; now: number }
): Promise<ImportRow> {
	return db
		.insertInto('import')
		.values({
			user_id: values.user_id,
			file_name: values.file_name,
			bytes_total: values.bytes_total,
			state: 'queued',
			created_at: values.now,
			updated_at: values.now
		})
		.returningAll()
		.executeTakeFirstOrThrow();
}

export function findImport(db: Executor, userId: number, id: number) {
	return db
		.selectFrom('import')
		.selectAll()
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
}

export function listImports(db: Executor, userId: number, limit: number) {
	return db
		.selectFrom('import')
		.selectAll()
		.where('user_id', '=', userId)
		.orderBy('id', 'desc')
		.limit(limit)
		.execute();
}

export function countActiveImports(db: Executor, userId: number) {
	return db
		.selectFrom('import')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('user_id', '=', userId)
		.where('state', 'in', ACTIVE_IMPORT_STATES)
		.executeTakeFirstOrThrow()
		.then((r) => Number(r.n));
}

/** Updates an import only while it is in one of `from`; false when it was not (e.g. cancelled). */
export async function updateImportIf(
	db: Executor,
	id: number,
	from: ImportState[],
	set: Updateable<ImportTable>
): Promise<boolean> {
	const result = await db
		.updateTable('import')
		.set(set)
		.where('id', '=', id)
		.where('state', 'in', from)
		.executeTakeFirst();
	return result.numUpdatedRows > 0n;
}

/** Ends imports a stopped process left queued or running and not touched since `before`. */
export function failStaleImports(db: Executor, before: number, problems: string, now: number) {
	return db
		.updateTable('import')
		.set({ state: 'failed', problems, finished_at: now, updated_at: now })
		.where('state', 'in', ACTIVE_IMPORT_STATES)
		.where('updated_at', '<', before)
		.returning(['id'])
		.execute();
}

export function findImportedConversation(
	db: Executor,
	userId: number,
	format: string,
	sourceId: string
) {
	return db
		.selectFrom('import_source')
		.select('conversation_id')
		.where('user_id', '=', userId)
		.where('format', '=', format)
		.where('source_id', '=', sourceId)
		.executeTakeFirst();
}

export async function insertImportSource(
	db: Executor,
	values: {
		user_id: number;
		format: string;
		source_id: string;
		conversation_id: number;
		now: number;
	}
) {
	await db
		.insertInto('import_source')
		.values({
			user_id: values.user_id,
			format: values.format,
			source_id: values.source_id,
			conversation_id: values.conversation_id,
			created_at: values.now
		})
		.execute();
}
