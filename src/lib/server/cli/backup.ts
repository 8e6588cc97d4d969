import fs from 'node:fs';
import path from 'node:path';
import { getConfig } from '$lib/server/config';
import { backupSqlite } from '$lib/server/db/backup';
import { CliError, parseArgs, type Io } from '$lib/server/cli/io';

export async function runBackup(args: string[], io: Io): Promise<number> {
	const { positionals } = parseArgs(args, []);
	if (positionals.length !== 1) throw new CliError('usage: hearth backup <file>', 2);
	const target = path.resolve(positionals[0]!);
	const config = getConfig();
	if (config.database.kind !== 'sqlite') {
		throw new CliError('backup copies the SQLite database; for PostgreSQL use pg_dump');
	}
	if (!fs.existsSync(config.database.path)) {
		throw new CliError(`no database at ${config.database.path} (check DATA_DIR / DATABASE_URL)`);
	}
	if (fs.existsSync(target)) throw new CliError(`${target} already exists; choose a new file name`);
	if (!fs.existsSync(path.dirname(target)))
		throw new CliError(`folder ${path.dirname(target)} does not exist`);
	const bytes = backupSqlite(config.database.path, target);
	io.out(`Backed up ${config.database.path} to ${target} (${bytes} bytes)`);
	return 0;
}
