// The built Hearth on either database with the people a test needs: on SQLite in its own data
// folder (people added with the CLI), on PostgreSQL in a fresh database (people added directly).
import { freshDatabase, type Dialect, type TestDatabase } from './db';
import { addUser as addUserByCli, startHearth, type HearthServer } from './hearth-server';
import { addUser } from '$lib/server/services/accounts';

export interface Person {
	username: string;
	password: string;
	admin?: boolean;
}

export interface HearthOn {
	hearth: HearthServer;
	/** PostgreSQL only. */
	database?: TestDatabase;
	stop(): Promise<void>;
}

export async function startHearthOn(
	dialect: Dialect,
	people: Person[],
	env: Record<string, string> = {}
): Promise<HearthOn> {
	const database = dialect === 'postgres' ? await freshDatabase('postgres') : undefined;
	const hearth = await startHearth(database ? { ...env, DATABASE_URL: database.url! } : env);
	for (const p of people) {
		if (database)
			await addUser(database.db, {
				username: p.username,
				password: p.password,
				role: p.admin ? 'admin' : 'user'
			});
		else addUserByCli(hearth, p.username, p.password, p.admin);
	}
	return {
		hearth,
		database,
		async stop() {
			await hearth.stop();
			await database?.close();
		}
	};
}
