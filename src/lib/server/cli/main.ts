// The `hearth` command line: serve, migrate, user management and backups. Exit codes: 0 done,
// 1 refused or failed, 2 usage error, 78 bad configuration. Each command's code is imported when
// it runs: `serve` loads the server build, which has its own copy of the runtime, so loading
// the user commands' runtime too would cost every server start memory and time.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CliError, type Io } from '$lib/server/cli/io';

export { processIo } from '$lib/server/cli/io';

export const USAGE = `Usage: hearth <command>

Commands:
  serve                                   start the server (npm start builds first, then serves)
  migrate                                 apply database migrations
  user add <name> [--admin] --password-stdin
                                          create a user; the password is read from standard input
  user passwd <name> --password-stdin     set a password (ends that user's sessions)
  user list                               list users
  user remove <name>                      remove a user and everything they own
  user unlock <name>                      end a sign-in lock-out (failed attempts start over)
  user reset-2fa <name>                   turn off a user's two-factor sign-in (lost phone and codes)
  user require-2fa on|off                 require two-factor sign-in for everyone (or not)
  backup <file>                           consistent copy of the SQLite database, safe while serving
  restore <file> [--force]                put a backup in place of the database (server stopped)

Configuration comes from the environment (see .env.example).`;

async function migrate(io: Io): Promise<number> {
	const [{ getConfig }, { createDatabase }, { migrateToLatest }] = await Promise.all([
		import('$lib/server/config'),
		import('$lib/server/db/database'),
		import('$lib/server/db/migrator')
	]);
	const db = await createDatabase(getConfig().database);
	try {
		const result = await migrateToLatest(db);
		if (!result.ok) {
			io.err(`hearth: migration ${result.failed} failed: ${result.error}`);
			return 1;
		}
		io.out(
			result.applied.length > 0
				? `Applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`
				: 'Database is up to date'
		);
		return 0;
	} finally {
		await db.destroy();
	}
}

export async function run(argv: string[], io: Io): Promise<number> {
	const [command, ...rest] = argv;
	try {
		switch (command) {
			case 'serve': {
				const { serve } = await import('$lib/server/cli/serve');
				await serve(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
				return -1;
			}
			case 'migrate':
				return await migrate(io);
			case 'user':
				return await (await import('$lib/server/cli/users')).runUserCommand(rest, io);
			case 'backup':
				return await (await import('$lib/server/cli/backup')).runBackup(rest, io);
			case 'restore':
				return await (await import('$lib/server/cli/backup')).runRestore(rest, io);
			case undefined:
			case 'help':
			case '--help':
			case '-h':
				io.out(USAGE);
				return command === undefined ? 2 : 0;
			default:
				io.err(`hearth: unknown command "${command}"\n\n${USAGE}`);
				return 2;
		}
	} catch (error) {
		if (error instanceof CliError) {
			io.err(`hearth: ${error.message}`);
			return error.exitCode;
		}
		throw error;
	}
}
