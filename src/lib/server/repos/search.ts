// Full-text search over one user's messages: FTS5 with bm25 on SQLite, tsvector with ts_rank on
// PostgreSQL. Terms are letters and digits only (see shared/search.ts); the last is a prefix.
import { sql } from 'kysely';
import { dialectOf, type Executor } from '$lib/server/db/database';
import { HIT_END, HIT_START } from '$lib/shared/search';

export interface SearchRow {
	message_id: number;
	conversation_id: number;
	title: string;
	role: 'system' | 'user' | 'assistant';
	created_at: number;
	snippet: string;
}

const SNIPPET_TOKENS = 16;

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

async function searchSqlite(db: Executor, userId: number, terms: string[], limit: number) {
	const match = terms.map((t, i) => `"${t}"${i === terms.length - 1 ? '*' : ''}`).join(' ');
	// Rank first, then write snippets for the page only: snippet() is the costly part.
	const { rows } = await sql<SearchRow>`
		with top as (
			select m.id, m.conversation_id, m.role, m.created_at, c.title, bm25(message_fts) as rank
			from message_fts
			join message m on m.id = message_fts.rowid
			join conversation c on c.id = m.conversation_id
			where message_fts match ${match} and m.user_id = ${userId} and c.deleted_at is null
			order by rank limit ${limit}
		)
		select top.id as message_id, top.conversation_id, top.title, top.role, top.created_at,
			snippet(message_fts, 0, ${HIT_START}, ${HIT_END}, '…', ${SNIPPET_TOKENS}) as snippet
		from message_fts join top on top.id = message_fts.rowid
		where message_fts match ${match}
		order by top.rank`.execute(db);
	return rows;
}

async function searchPostgres(db: Executor, userId: number, terms: string[], limit: number) {
	const query = terms.map((t, i) => (i === terms.length - 1 ? `${t}:*` : t)).join(' & ');
	const options = `StartSel=${HIT_START}, StopSel=${HIT_END}, MaxWords=${SNIPPET_TOKENS * 2}, MinWords=${SNIPPET_TOKENS}, MaxFragments=1, FragmentDelimiter=" … "`;
	const { rows } = await sql<SearchRow>`
		with q as (select to_tsquery('simple', ${query}) as q),
		top as (
			select m.id, m.conversation_id, m.role, m.created_at, m.content, c.title,
				ts_rank(m.search, q.q) as rank
			from message m
			join conversation c on c.id = m.conversation_id, q
			where m.search @@ q.q and m.user_id = ${userId} and c.deleted_at is null
			order by rank desc, m.id desc limit ${limit}
		)
		select top.id as message_id, top.conversation_id, top.title, top.role,
			top.created_at::float8 as created_at,
			ts_headline('simple', top.content, q.q, ${options}) as snippet
		from top, q
		order by top.rank desc, top.id desc`.execute(db);
	return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
}
