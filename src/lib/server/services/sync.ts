// Incremental sync for the device cache: the user's recent conversations plus the ones the
// device already holds, whole only when they changed since the device's cursor.
import type { Database } from '$lib/server/db/database';
import * as repo from '$lib/server/repos/conversations';
import { toSummary } from '$lib/server/services/dto';
import { getConversation } from '$lib/server/services/conversations';
import type { ConversationDto, ConversationSummaryDto } from '$lib/shared/dto';

export const SYNC_LIMITS = { maxConversations: 200, maxHave: 400 };

export interface SyncResult {
	/** Pass back as `since` next time. */
	cursor: number;
	/** Every conversation the device may keep: the newest `limit`, plus those it holds that still exist. */
	conversations: ConversationSummaryDto[];
	/** Of those, the ones changed at or after `since`, whole. */
	changed: ConversationDto[];
}

export async function syncConversations(
	db: Database,
	userId: number,
	input: { since: number; limit: number; have: number[] }
): Promise<SyncResult> {
	const limit = Math.min(Math.max(input.limit, 1), SYNC_LIMITS.maxConversations);
	const recent = await repo.listConversations(db, userId, limit, null);
	const known = new Set(recent.map((c) => c.id));
	const held = await repo.listConversationsById(
		db,
		userId,
		input.have.filter((id) => !known.has(id))
	);
	const rows = [...recent, ...held];
	// `>=`: a change in the same millisecond as the cursor is fetched again rather than missed.
	const changedRows = rows.filter((c) => c.updated_at >= input.since);
	const changed: ConversationDto[] = [];
	for (const row of changedRows) {
		const conversation = await getConversation(db, userId, row.id);
		if (conversation) changed.push(conversation);
	}
	const cursor = Math.max(input.since, ...rows.map((c) => c.updated_at));
	return { cursor, conversations: rows.map(toSummary), changed };
}
