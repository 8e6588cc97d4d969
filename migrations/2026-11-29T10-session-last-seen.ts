// When each session was last used, so Settings can list a user's devices by recent use.
// Updated at most once a minute per session (see auth/session.ts).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('session').addColumn('last_seen_at', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
	await db.schema.alterTable('session').dropColumn('last_seen_at').execute();
}
