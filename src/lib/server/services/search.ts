// Search across everything a user has written and been answered, ranked, with snippets. A message
// copied by "branch from here" is one hit, not two: the original is kept.
import type { Database } from '$lib/server/db/database';
import { parentConversations } from '$lib/server/repos/conversations';
import { searchCandidates, searchRows, type SearchRow } from '$lib/server/repos/search';
import { makeSnippet, plainText, rankText, searchTerms } from '$lib/shared/search';
import type { SearchHitDto } from '$lib/shared/dto';

export const SEARCH_PAGE_SIZE = 20;
/** Extra rows read so that hits dropped as branch copies do not leave the page short. */
const BRANCH_COPY_SLACK = 2;
const FALLBACK_SNIPPET_CHARS = 120;

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
		.slice(0, limit * BRANCH_COPY_SLACK);
	const found = new Map(
		(
			await searchRows(
				db,
				userId,
				best.map((b) => b.id)
			)
		).map((r) => [r.message_id, r])
	);
	const ranked = best.flatMap(({ id }) => found.get(id) ?? []);
	const rows = await withoutBranchCopies(db, userId, ranked);
	return rows.slice(0, limit).map((r) => ({
		conversationId: r.conversation_id,
		title: r.title,
		messageId: r.message_id,
		role: r.role,
		createdAt: r.created_at,
		// Written here rather than by the database: the same snippets as offline search.
		snippet: makeSnippet(r.content, terms) ?? [
			{ text: plainText(r.content).slice(0, FALLBACK_SNIPPET_CHARS), hit: false }
		]
	}));
}

/** Drops a hit whose conversation was branched from another hit's, with the same content. */
async function withoutBranchCopies(
	db: Database,
	userId: number,
	rows: SearchRow[]
): Promise<SearchRow[]> {
	const ids = [...new Set(rows.map((r) => r.conversation_id))];
	const parents = new Map(
		(await parentConversations(db, userId, ids)).map((c) => [c.id, c.parent_conversation_id])
	);
	const contentsIn = new Map<number, Set<string>>();
	for (const r of rows) {
		const set = contentsIn.get(r.conversation_id) ?? new Set<string>();
		set.add(r.content);
		contentsIn.set(r.conversation_id, set);
	}
	return rows.filter((r) => {
		const parent = parents.get(r.conversation_id);
		return !(parent != null && contentsIn.get(parent)?.has(r.content));
	});
}
