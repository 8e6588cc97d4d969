// Prefix search without a shared vocabulary (SQLite only). A typed prefix of 4+ characters used
// to be expanded through an fts5vocab view of every user's words, so what one user found depended
// on what others wrote (issue 21). Now every prefix is an FTS5 prefix query over the user's own
// rows; prefix indexes for 2 to 5 characters keep those queries lazy (newest first, stopping at
// the candidates needed) instead of merging every posting of every word with that prefix.
// Rebuilding the index takes a while on a large database (minutes for a million messages).
import { PostgresAdapter, sql, type Kysely } from 'kysely';

async function recreateIndex(db: Kysely<any>, prefixes: string) {
	await sql`drop table message_fts`.execute(db);
	await sql`create virtual table message_fts using fts5(
		content, content='message', content_rowid='id',
		tokenize='unicode61 remove_diacritics 2', prefix=${sql.lit(prefixes)})`.execute(db);
	await sql`insert into message_fts(message_fts) values ('rebuild')`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof PostgresAdapter) return;
	await sql`drop table if exists message_fts_vocab`.execute(db);
	await recreateIndex(db, '2 3 4 5');
}

export async function down(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof PostgresAdapter) return;
	await recreateIndex(db, '2 3');
	await sql`create virtual table message_fts_vocab using fts5vocab(message_fts, 'row')`.execute(db);
}
