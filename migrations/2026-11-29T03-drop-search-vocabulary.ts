// Prefix search no longer expands a typed prefix through the FTS5 vocabulary: that vocabulary
// holds every user's words, so what one user found depended on what others wrote (issue 21).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof PostgresAdapter) return;
	await sql`drop table if exists message_fts_vocab`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof PostgresAdapter) return;
	await sql`create virtual table message_fts_vocab using fts5vocab(message_fts, 'row')`.execute(db);
}
