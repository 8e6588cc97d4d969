import type { Updateable } from 'kysely';
import type { Executor } from '$lib/server/db/database';
import type {
	ModelDownloadRow,
	ModelDownloadState,
	ModelDownloadTable
} from '$lib/server/db/schema';

export function insertDownload(
	db: Executor,
	values: { user_id: number; repo: string; file: string; now: number }
): Promise<ModelDownloadRow> {
	return db
		.insertInto('model_download')
		.values({
			user_id: values.user_id,
			repo: values.repo,
			file: values.file,
			state: 'queued',
			created_at: values.now,
			updated_at: values.now
		})
		.returningAll()
		.executeTakeFirstOrThrow();
}

export function findDownload(db: Executor, id: number) {
	return db.selectFrom('model_download').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listDownloads(db: Executor, limit: number) {
	return db.selectFrom('model_download').selectAll().orderBy('id', 'desc').limit(limit).execute();
}

/** Downloads in one of `states`, oldest first. */
export function listDownloadsIn(db: Executor, states: readonly ModelDownloadState[]) {
	return db
		.selectFrom('model_download')
		.selectAll()
		.where('state', 'in', [...states])
		.orderBy('id', 'asc')
		.execute();
}

/** An unfinished download of the same file (the folder holds one file by a name). */
export function findActiveDownloadOf(db: Executor, file: string) {
	return db
		.selectFrom('model_download')
		.selectAll()
		.where('file', '=', file)
		.where('state', 'in', ['queued', 'running'])
		.executeTakeFirst();
}

/** Updates a download only while it is in one of `from`; false when it was not (e.g. cancelled). */
export async function updateDownloadIf(
	db: Executor,
	id: number,
	from: readonly ModelDownloadState[],
	set: Updateable<ModelDownloadTable>
): Promise<boolean> {
	const result = await db
		.updateTable('model_download')
		.set(set)
		.where('id', '=', id)
		.where('state', 'in', [...from])
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}
