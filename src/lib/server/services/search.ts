// Search across everything a user has written and been answered, ranked, with snippets.
import type { Database } from '$lib/server/db/database';
import { searchMessages } from '$lib/server/repos/search';
import { makeSnippet, searchTerms } from '$lib/shared/search';
import type { SearchHitDto } from '$lib/shared/dto';

export const SEARCH_PAGE_SIZE = 20;

export async function searchUserMessages(
	db: Database,
	userId: number,
	query: string,
	limit = SEARCH_PAGE_SIZE
): Promise<SearchHitDto[]> {
	const terms = searchTerms(query);
	const rows = await searchMessages(db, userId, terms, limit);
	return rows.map((r) => ({
		conversationId: r.conversation_id,
		title: r.title,
		messageId: r.message_id,
		role: r.role,
		createdAt: r.created_at,
		// Written here rather than by the database: the same snippets as offline search, and
		// FTS5's snippet() would run the whole query again for every row.
		snippet: makeSnippet(r.content, terms) ?? [{ text: r.content.slice(0, 120), hit: false }]
	}));
}
