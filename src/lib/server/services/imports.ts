// Imports of one user: start one from a spooled upload, read its progress, cancel it. Every
// query carries the owner: another user's import is simply not found.
import type { Database } from '$lib/server/db/database';
import type { ImportRow } from '$lib/server/db/schema';
import * as repo from '$lib/server/repos/imports';
import type { ImportRunner } from '$lib/server/imports/runner';
import { removeSpooled, type SpooledFile } from '$lib/server/imports/spool';
import { FINISHED_IMPORT_STATES, type ImportDto, type ImportProblemDto } from '$lib/shared/imports';

/** Imports one user may have queued or running at once. */
export const MAX_ACTIVE_IMPORTS_PER_USER = 2;
export const IMPORT_LIST_LIMIT = 10;

function parseList<T>(json: string): T[] {
	try {
		const value: unknown = JSON.parse(json);
		return Array.isArray(value) ? (value as T[]) : [];
	} catch {
		return [];
	}
}

export function toImportDto(row: ImportRow): ImportDto {
	const dto: ImportDto = {
		id: row.id,
		state: row.state,
		format: row.format,
		fileName: row.file_name,
		done: row.done,
		skipped: row.skipped,
		total: row.total,
		bytesRead: row.bytes_read,
		bytesTotal: row.bytes_total,
		createdAt: row.created_at,
		finishedAt: row.finished_at
	};
	if (FINISHED_IMPORT_STATES.includes(row.state)) {
		dto.problems = parseList<ImportProblemDto>(row.problems);
		dto.conversationIds = parseList<number>(row.conversation_ids);
	}
	return dto;
}

export type StartImportResult =
	{ ok: true; import: ImportDto } | { ok: false; code: 'too_many'; message: string };

/** Whether the user may start another import now (checked before the upload is spooled). */
export async function canStartImport(db: Database, userId: number): Promise<boolean> {
	return (await repo.countActiveImports(db, userId)) < MAX_ACTIVE_IMPORTS_PER_USER;
}

export async function startImport(
	db: Database,
	runner: ImportRunner,
	userId: number,
	files: SpooledFile[]
): Promise<StartImportResult> {
	if (!(await canStartImport(db, userId))) {
		removeSpooled(files);
		return {
			ok: false,
			code: 'too_many',
			message: `At most ${MAX_ACTIVE_IMPORTS_PER_USER} imports at once; wait for one to finish`
		};
	}
	const row = await repo.insertImport(db, {
		user_id: userId,
		file_name: files
			.map((f) => f.name)
			.join(', ')
			.slice(0, 500),
		bytes_total: files.reduce((sum, f) => sum + f.size, 0),
		now: Date.now()
	});
	runner.enqueue({ importId: row.id, userId, files });
	return { ok: true, import: toImportDto(row) };
}

export async function getImport(
	db: Database,
	userId: number,
	id: number
): Promise<ImportDto | null> {
	const row = await repo.findImport(db, userId, id);
	return row ? toImportDto(row) : null;
}

export async function listUserImports(db: Database, userId: number): Promise<ImportDto[]> {
	return (await repo.listImports(db, userId, IMPORT_LIST_LIMIT)).map(toImportDto);
}

/** Cancels a queued or running import; a finished one is returned as it is. */
export async function cancelImport(
	db: Database,
	runner: ImportRunner,
	userId: number,
	id: number
): Promise<ImportDto | null> {
	const row = await repo.findImport(db, userId, id);
	if (!row) return null;
	const now = Date.now();
	if (
		await repo.updateImportIf(db, id, repo.ACTIVE_IMPORT_STATES, {
			state: 'cancelled',
			finished_at: now,
			updated_at: now
		})
	)
		runner.cancel(id);
	return getImport(db, userId, id);
}
