// "Branch from here": a new conversation holding a copy of the path from the root to one
// message, linked to its parent conversation and branch point. The original is not touched.
import type { Database } from '$lib/server/db/database';
import * as conversations from '$lib/server/repos/conversations';
import * as messages from '$lib/server/repos/messages';
import { copyLinks } from '$lib/server/repos/attachments';
import { getConversation, MAX_TITLE_CHARS } from '$lib/server/services/conversations';
import type { MessageStatus } from '$lib/server/db/schema';
import type { ConversationDto } from '$lib/shared/dto';

/** A reply still being written is copied as it stands, marked interrupted. */
const COPIED_STATUS: Record<MessageStatus, MessageStatus> = {
	queued: 'interrupted',
	streaming: 'interrupted',
	done: 'done',
	failed: 'failed',
	cancelled: 'cancelled',
	interrupted: 'interrupted'
};

export type BranchResult =
	| { ok: true; conversation: ConversationDto }
	| { ok: false; code: 'not_found' | 'invalid'; message: string };

export async function branchConversation(
	db: Database,
	userId: number,
	conversationId: number,
	messageId: number
): Promise<BranchResult> {
	const source = await conversations.findConversation(db, userId, conversationId);
	if (!source) return { ok: false, code: 'not_found', message: 'No such conversation' };
	const path = await messages.messagePath(db, conversationId, messageId);
	if (path.length === 0 || path.some((m) => m.user_id !== userId))
		return {
			ok: false,
			code: 'invalid',
			message: 'messageId: no such message in this conversation'
		};
	const id = await db.transaction().execute(async (trx) => {
		const now = Date.now();
		const copy = await conversations.insertConversation(trx, {
			user_id: userId,
			title: `${source.title || 'Untitled'} (branch)`.slice(0, MAX_TITLE_CHARS),
			model: source.model,
			system_prompt: source.system_prompt,
			settings: source.settings,
			parent_conversation_id: source.id,
			branch_message_id: messageId,
			now
		});
		let parentId: number | null = null;
		for (const m of path) {
			const row = await messages.insertMessage(trx, {
				conversation_id: copy.id,
				user_id: userId,
				parent_id: parentId,
				role: m.role,
				content: m.content,
				reasoning: m.reasoning,
				status: COPIED_STATUS[m.status],
				provider: m.provider,
				model: m.model,
				prompt_tokens: m.prompt_tokens,
				completion_tokens: m.completion_tokens,
				cost_micro_usd: m.cost_micro_usd,
				timings: m.timings,
				error: m.error,
				created_at: m.created_at,
				updated_at: now
			});
			// The branch links the same attachment rows; nothing is copied.
			await copyLinks(trx, m.id, row.id);
			parentId = row.id;
		}
		return copy.id;
	});
	const conversation = await getConversation(db, userId, id);
	return conversation
		? { ok: true, conversation }
		: { ok: false, code: 'not_found', message: 'No such conversation' };
}
