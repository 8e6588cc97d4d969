// Search across everything a user has written and been answered, ranked, with snippets.
import type { Database } from '$lib/server/db/database';
import { searchCandidates, searchRows } from '$lib/server/repos/search';
import { makeSnippet, rankText, searchTerms } from '$lib/shared/search';
import type { SearchHitDto } from '$lib/shared/dto';

export const SEARCH_PAGE_SIZE = 20;

export async function searchUserMessages(
	db: Database,
	userId: number,
	query: string,
	limit = SEARCH_PAGE_SIZE
): Promise<SearchHitDto[]> {
	const terms = searchTerms(query);
	// Ranked here from each candidate's own text, so the order depends on nothing but the
	// user's messages, and is the same on SQLite and PostgreSQL.
	const best = (await searchCandidates(db, userId, terms))
		.map((c) => ({ id: c.message_id, score: rankText(c.text, terms) }))
		.sort((a, b) => b.score - a.score || b.id - a.id)
		.slice(0, limit);
	const ids = best.map((b) => b.id);
	const found = await searchRows(db, userId, ids);
	const rows = new Map(found.map((r) => [r.message_id, r]));
	return best.flatMap(({ id }) => {
		const r = rows.get(id);
		if (!r) return [];
		return [
			{
				conversationId: r.conversation_id,
				title: r.title,
				messageId: r.message_id,
				role: r.role,
				createdAt: r.created_at,
				// Written here rather than by the database: the same snippets as offline search.
				snippet: makeSnippet(r.content, terms) ?? [{ text: r.content.slice(0, 120), hit: false }]
			}
		];
	});
}
