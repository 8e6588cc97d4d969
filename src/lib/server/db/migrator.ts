// Applies the frozen migrations in migrations/ (bundled at build time, so the built server and
// the CLI need no TypeScript at run time).
import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import type { Database } from '$lib/server/db/database';

const modules = import.meta.glob<Migration>('$migrations/*.ts', { eager: true });

export const MIGRATIONS: Record<string, Migration> = Object.fromEntries(
	Object.entries(modules).map(([file, mod]) => [file.replace(/^.*\/(.*)\.ts$/, '$1'), mod])
);

export type MigrateResult =
	{ ok: true; applied: string[] } | { ok: false; applied: string[]; failed: string; error: string };

export async function migrateToLatest(db: Database): Promise<MigrateResult> {
	const migrator = new Migrator({
		db,
		provider: { getMigrations: async () => MIGRATIONS },
		migrationTableName: 'kysely_migration',
		migrationLockTableName: 'kysely_migration_lock'
	});
	const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
	const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
	if (error) {
		const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? '(unknown)';
		return {
			ok: false,
			applied,
			failed,
			error: error instanceof Error ? error.message : String(error)
		};
	}
	return { ok: true, applied };
}
