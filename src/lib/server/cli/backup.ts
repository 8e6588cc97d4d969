import fs from 'node:fs';
import path from 'node:path';
import { getConfig } from '$lib/server/config';
import { PRIVATE_DIR_MODE } from '$lib/server/private-files';
import { backupSqlite, checkBackup, restoreSqlite } from '$lib/server/db/backup';
import { CliError, parseArgs, type Io } from '$lib/server/cli/io';

function sqlitePath(command: string): string {
	const config = getConfig();
	if (config.database.kind !== 'sqlite') {
		throw new CliError(
			`${command} works on the SQLite database; for PostgreSQL use pg_dump / pg_restore`
		);
	}
	return config.database.path;
}

export async function runBackup(args: string[], io: Io): Promise<number> {
	const { positionals } = parseArgs(args, []);
	if (positionals.length !== 1) throw new CliError('usage: hearth backup <file>', 2);
	const target = path.resolve(positionals[0]!);
	const source = sqlitePath('backup');
	if (!fs.existsSync(source)) {
		throw new CliError(`no database at ${source} (check DATA_DIR / DATABASE_URL)`);
	}
	if (fs.existsSync(target)) throw new CliError(`${target} already exists; choose a new file name`);
	if (!fs.existsSync(path.dirname(target)))
		throw new CliError(`folder ${path.dirname(target)} does not exist`);
	const bytes = backupSqlite(source, target);
	io.out(`Backed up ${source} to ${target} (${bytes} bytes)`);
	return 0;
}

/** Restores a backup over the configured database; the server must be stopped first. */
export async function runRestore(args: string[], io: Io): Promise<number> {
	const { positionals, has } = parseArgs(args, ['--force']);
	if (positionals.length !== 1) throw new CliError('usage: hearth restore <file> [--force]', 2);
	const backup = path.resolve(positionals[0]!);
	const target = sqlitePath('restore');
	if (!fs.existsSync(backup)) throw new CliError(`${backup} does not exist`);
	const problem = checkBackup(backup);
	if (problem) throw new CliError(problem);
	if (fs.existsSync(target) && !has('--force')) {
		throw new CliError(
			`${target} already exists. Stop the server, then run again with --force to replace it`
		);
	}
	fs.mkdirSync(path.dirname(target), { recursive: true, mode: PRIVATE_DIR_MODE });
	const bytes = restoreSqlite(backup, target);
	io.out(`Restored ${backup} to ${target} (${bytes} bytes). Start the server to use it.`);
	return 0;
}
