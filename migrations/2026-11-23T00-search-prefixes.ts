// Search while typing (SQLite only; PostgreSQL's prefix matching uses its GIN index): FTS5
// prefix indexes for 2- and 3-character prefixes, and a vocabulary view to turn a longer prefix
// into the few whole words it stands for.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof PostgresAdapter) return;
	await sql`drop table message_fts`.execute(db);
	await sql`create virtual table message_fts using fts5(
		content, content='message', content_rowid='id',
		tokenize='unicode61 remove_diacritics 2', prefix='2 3')`.execute(db);
	await sql`insert into message_fts(message_fts) values ('rebuild')`.execute(db);
	await sql`create virtual table message_fts_vocab using fts5vocab(message_fts, 'row')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
	if (db.getExecutor().adapter instanceof PostgresAdapter) return;
	await sql`drop table message_fts_vocab`.execute(db);
	await sql`drop table message_fts`.execute(db);
	await sql`create virtual table message_fts using fts5(
		content, content='message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')`.execute(
		db
	);
	await sql`insert into message_fts(message_fts) values ('rebuild')`.execute(db);
}
