// Full-text search over one user's messages: FTS5 with bm25 on SQLite, tsvector with ts_rank on
// PostgreSQL. Terms are letters and digits only (see shared/search.ts); the last is a prefix.
import { sql } from 'kysely';
import { dialectOf, type Executor } from '$lib/server/db/database';

export interface SearchRow {
	message_id: number;
	conversation_id: number;
	title: string;
	role: 'system' | 'user' | 'assistant';
	created_at: number;
	content: string;
}

/**
 * Relevance is ranked among the user's most recent matching messages: ranking every match of a
 * common word over a million messages takes seconds, and recent chats are the likelier target.
 */
export const SEARCH_CANDIDATES = 300;
/** A prefix this long or longer is looked up as whole words; shorter ones use the prefix index. */
const PREFIX_INDEX_MAX = 3;
/** How many whole words a typed prefix may stand for. */
const PREFIX_WORDS = 8;

export async function searchMessages(
	db: Executor,
	userId: number,
	terms: string[],
	limit: number
): Promise<SearchRow[]> {
	if (terms.length === 0) return [];
	return dialectOf(db) === 'postgres'
		? searchPostgres(db, userId, terms, limit)
		: searchSqlite(db, userId, terms, limit);
}

/**
 * The FTS5 query: whole words, and the last one as a prefix. A prefix longer than the prefix
 * index covers becomes the words it begins (FTS5 would otherwise gather every posting of them
 * for each row it scores); a single letter is taken as a word.
 */
async function sqliteMatch(db: Executor, terms: string[]): Promise<string> {
	const words = terms.slice(0, -1).map((t) => `"${t}"`);
	const last = terms.at(-1)!;
	if (last.length === 1) return [...words, `"${last}"`].join(' AND ');
	if (last.length <= PREFIX_INDEX_MAX) return [...words, `"${last}"*`].join(' AND ');
	const { rows } = await sql<{ term: string }>`
		select term from message_fts_vocab
		where term >= ${last} and term < ${`${last}￿`} limit ${PREFIX_WORDS}`.execute(db);
	const expanded = rows.map((r) => `"${r.term.replace(/"/g, '""')}"`);
	return [...words, expanded.length > 0 ? `(${expanded.join(' OR ')})` : `"${last}"`].join(' AND ');
}

async function searchSqlite(db: Executor, userId: number, terms: string[], limit: number) {
	const match = await sqliteMatch(db, terms);
	// One pass over the index, newest first (FTS5 walks it backwards), scoring only the
	// candidates it returns; then the best of those with their conversation.
	const { rows } = await sql<SearchRow>`
		with candidates as (
			select message_fts.rowid as id, bm25(message_fts) as rank
			from message_fts join message m on m.id = message_fts.rowid
			where message_fts match ${match} and m.user_id = ${userId}
			order by message_fts.rowid desc limit ${SEARCH_CANDIDATES}
		)
		select m.id as message_id, m.conversation_id, c.title, m.role, m.created_at, m.content
		from candidates
		join message m on m.id = candidates.id
		join conversation c on c.id = m.conversation_id
		where c.deleted_at is null
		order by candidates.rank, m.id desc limit ${limit}`.execute(db);
	return rows;
}

async function searchPostgres(db: Executor, userId: number, terms: string[], limit: number) {
	const query = terms.map((t, i) => (i === terms.length - 1 ? `${t}:*` : t)).join(' & ');
	const { rows } = await sql<SearchRow>`
		with q as (select to_tsquery('simple', ${query}) as q),
		candidates as (
			select m.id, ts_rank(m.search, q.q) as rank
			from message m, q
			where m.search @@ q.q and m.user_id = ${userId}
			order by m.id desc limit ${SEARCH_CANDIDATES}
		)
		select m.id as message_id, m.conversation_id, c.title, m.role,
			m.created_at::float8 as created_at, m.content
		from candidates
		join message m on m.id = candidates.id
		join conversation c on c.id = m.conversation_id
		where c.deleted_at is null
		order by candidates.rank desc, m.id desc limit ${limit}`.execute(db);
	return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
}
