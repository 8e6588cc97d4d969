// Full-text search over one user's messages: FTS5 on SQLite, tsvector on PostgreSQL. Terms are
// letters and digits only (see shared/search.ts); the last is a prefix. Only the user's own rows
// decide what matches: no shared vocabulary, no corpus-wide ranking statistics (bm25's IDF and
// average length would let another user's words reorder these results). Ranking is done by the
// service on the candidates, the same way on both dialects.
import { sql } from 'kysely';
import { dialectOf, type Executor } from '$lib/server/db/database';

export interface SearchCandidate {
	message_id: number;
	/** The start of the message, enough to rank it. */
	text: string;
}

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
/** How much of each candidate is read to rank it (a long reply is judged by its start). */
export const SEARCH_RANK_CHARS = 4_000;

/** The user's newest messages (in live conversations) that match, newest first. */
export async function searchCandidates(
	db: Executor,
	userId: number,
	terms: string[]
): Promise<SearchCandidate[]> {
	if (terms.length === 0) return [];
	return dialectOf(db) === 'postgres'
		? candidatesPostgres(db, userId, terms)
		: candidatesSqlite(db, userId, terms);
}

/** The hits to show, with their conversation; only the user's own messages. */
export async function searchRows(
	db: Executor,
	userId: number,
	messageIds: number[]
): Promise<SearchRow[]> {
	if (messageIds.length === 0) return [];
	const rows = await db
		.selectFrom('message as m')
		.innerJoin('conversation as c', 'c.id', 'm.conversation_id')
		.select([
			'm.id as message_id',
			'm.conversation_id',
			'c.title',
			'm.role',
			'm.created_at',
			'm.content'
		])
		.where('m.user_id', '=', userId)
		.where('m.id', 'in', messageIds)
		.execute();
	return rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
}

/**
 * The FTS5 query: whole words, and the last one as a prefix (2 to 5 characters read a prefix
 * index; longer ones are rare enough for FTS5 to merge their words); a letter is taken as a word.
 */
function sqliteMatch(terms: string[]): string {
	const words = terms.slice(0, -1).map((t) => `"${t}"`);
	const last = terms.at(-1)!;
	return [...words, last.length === 1 ? `"${last}"` : `"${last}"*`].join(' AND ');
}

async function candidatesSqlite(db: Executor, userId: number, terms: string[]) {
	// One pass over the index, newest first (FTS5 walks it backwards), keeping the user's rows.
	const { rows } = await sql<SearchCandidate>`
		select m.id as message_id, substr(m.content, 1, ${SEARCH_RANK_CHARS}) as text
		from message_fts
		join message m on m.id = message_fts.rowid
		join conversation c on c.id = m.conversation_id
		where message_fts match ${sqliteMatch(terms)} and m.user_id = ${userId}
			and c.deleted_at is null
		order by message_fts.rowid desc limit ${SEARCH_CANDIDATES}`.execute(db);
	return rows;
}

async function candidatesPostgres(db: Executor, userId: number, terms: string[]) {
	const query = terms.map((t, i) => (i === terms.length - 1 ? `${t}:*` : t)).join(' & ');
	const { rows } = await sql<SearchCandidate>`
		select m.id as message_id, substr(m.content, 1, ${SEARCH_RANK_CHARS}) as text
		from message m
		join conversation c on c.id = m.conversation_id
		where m.search @@ to_tsquery('simple', ${query}) and m.user_id = ${userId}
			and c.deleted_at is null
		order by m.id desc limit ${SEARCH_CANDIDATES}`.execute(db);
	return rows;
}
