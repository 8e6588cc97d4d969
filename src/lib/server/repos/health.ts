import { sql } from 'kysely';
import type { Executor } from '$lib/server/db/database';

/** Throws when the database does not answer. */
export async function pingDatabase(db: Executor): Promise<void> {
	await sql`select 1`.execute(db);
}
