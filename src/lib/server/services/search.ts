// Search across everything a user has written and been answered, ranked, with snippets.
import type { Database } from '$lib/server/db/database';
import { searchMessages } from '$lib/server/repos/search';
import { searchTerms, snippetParts } from '$lib/shared/search';
import type { SearchHitDto } from '$lib/shared/dto';

export const SEARCH_PAGE_SIZE = 20;

export async function searchUserMessages(
	db: Database,
	userId: number,
	query: string,
	limit = SEARCH_PAGE_SIZE
): Promise<SearchHitDto[]> {
	const rows = await searchMessages(db, userId, searchTerms(query), limit);
	return rows.map((r) => ({
		conversationId: r.conversation_id,
		title: r.title,
		messageId: r.message_id,
		role: r.role,
		createdAt: r.created_at,
		snippet: snippetParts(r.snippet)
	}));
}
