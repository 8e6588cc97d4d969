// Conversations of one user: list, create, read with the message tree, rename/settings, delete.
// Every query carries the owner: another user's id is simply not found.
import type { Database } from '$lib/server/db/database';
import * as repo from '$lib/server/repos/conversations';
import { listMessagesBetween, listMessageSizes } from '$lib/server/repos/messages';
import { listActiveJobsInConversation } from '$lib/server/repos/jobs';
import { conversationAttachmentIds, deleteUnlinked } from '$lib/server/repos/attachments';
import { attachmentsByMessage } from '$lib/server/services/attachments';
import { parseSettings, toMessageDto, toSummary } from '$lib/server/services/dto';
import type { Conversation } from '$lib/server/db/schema';
import type {
	ConversationDto,
	ConversationSettingsDto,
	ConversationSummaryDto,
	MessageDto
} from '$lib/shared/dto';

export const MAX_TITLE_CHARS = 200;
export const CONVERSATION_PAGE_SIZE = 50;
/**
 * One read of a conversation returns at most this many of its newest messages, and at most this
 * many characters of them (always at least one message); `earlierBefore` fetches the rest.
 * Conversations within both get the whole tree, as before.
 */
export const MESSAGE_PAGE_MAX_MESSAGES = 200;
export const MESSAGE_PAGE_MAX_CHARS = 500_000;

export async function listUserConversations(
	db: Database,
	userId: number,
	options: { limit?: number; before?: number | null } = {}
): Promise<{ conversations: ConversationSummaryDto[]; nextBefore: number | null }> {
	const limit = Math.min(Math.max(options.limit ?? CONVERSATION_PAGE_SIZE, 1), 200);
	const rows = await repo.listConversations(db, userId, limit + 1, options.before ?? null);
	const page = rows.slice(0, limit);
	return {
		conversations: page.map(toSummary),
		nextBefore: rows.length > limit ? (page.at(-1)?.updated_at ?? null) : null
	};
}

export interface ConversationInput {
	title?: string;
	model?: string | null;
	systemPrompt?: string | null;
	settings?: ConversationSettingsDto;
	pinned?: boolean;
}

function toConversationDto(
	row: Conversation,
	messages: MessageDto[],
	earlierBefore: number | null = null
): ConversationDto {
	return {
		...toSummary(row),
		branchOf:
			row.parent_conversation_id !== null && row.branch_message_id !== null
				? { conversationId: row.parent_conversation_id, messageId: row.branch_message_id }
				: null,
		model: row.model,
		systemPrompt: row.system_prompt,
		settings: parseSettings(row.settings),
		createdAt: row.created_at,
		messages,
		...(earlierBefore !== null ? { earlierBefore } : {})
	};
}

export async function createConversation(
	db: Database,
	userId: number,
	input: ConversationInput
): Promise<ConversationDto> {
	const row = await repo.insertConversation(db, {
		user_id: userId,
		title: input.title?.trim().slice(0, MAX_TITLE_CHARS) ?? '',
		model: input.model ?? null,
		system_prompt: input.systemPrompt ?? null,
		settings: JSON.stringify(input.settings ?? {}),
		now: Date.now()
	});
	return toConversationDto(row, []);
}

/** Where the page of messages older than `before` (null: the newest) starts, and if more are older. */
async function pageStart(db: Database, id: number, before: number | null) {
	const sizes = await listMessageSizes(db, id, before, MESSAGE_PAGE_MAX_MESSAGES + 1);
	let chars = 0;
	let kept = 0;
	for (const m of sizes.slice(0, MESSAGE_PAGE_MAX_MESSAGES)) {
		chars += m.chars;
		if (kept > 0 && chars > MESSAGE_PAGE_MAX_CHARS) break;
		kept++;
	}
	const first = sizes[kept - 1];
	return { from: first?.id ?? null, more: sizes.length > kept };
}

/**
 * A conversation with its newest page of messages (or the page older than `before`); a
 * conversation within one page comes whole. `earlierBefore` is set when older messages remain.
 */
export async function getConversation(
	db: Database,
	userId: number,
	id: number,
	options: { before?: number | null } = {}
): Promise<ConversationDto | null> {
	const row = await repo.findConversation(db, userId, id);
	if (!row) return null;
	const before = options.before ?? null;
	const page = await pageStart(db, id, before);
	const [messages, jobs] = await Promise.all([
		page.from === null ? [] : listMessagesBetween(db, id, page.from, before),
		listActiveJobsInConversation(db, id)
	]);
	const jobByReply = new Map(jobs.map((j) => [j.assistant_message_id, j.id]));
	const attached = await attachmentsByMessage(
		db,
		messages.filter((m) => m.role === 'user').map((m) => m.id)
	);
	return toConversationDto(
		row,
		messages.map((m) => {
			const dto = toMessageDto(m, jobByReply.get(m.id));
			const attachments = attached.get(m.id);
			return attachments ? { ...dto, attachments } : dto;
		}),
		page.more ? page.from : null
	);
}

export async function updateConversation(
	db: Database,
	userId: number,
	id: number,
	input: ConversationInput
): Promise<ConversationDto | null> {
	const set: Parameters<typeof repo.updateConversation>[3] = { updated_at: Date.now() };
	if (input.title !== undefined) set.title = input.title.trim().slice(0, MAX_TITLE_CHARS);
	if (input.model !== undefined) set.model = input.model;
	if (input.systemPrompt !== undefined) set.system_prompt = input.systemPrompt;
	if (input.settings !== undefined) set.settings = JSON.stringify(input.settings);
	if (input.pinned !== undefined) set.pinned_at = input.pinned ? Date.now() : null;
	if (!(await repo.updateConversation(db, userId, id, set))) return null;
	return getConversation(db, userId, id);
}

/** Deletes the conversation and the attachments no other conversation (a branch) still links. */
export function deleteConversation(db: Database, userId: number, id: number): Promise<boolean> {
	return db.transaction().execute(async (trx) => {
		const attachmentIds = await conversationAttachmentIds(trx, id);
		if (!(await repo.deleteConversation(trx, userId, id))) return false;
		await deleteUnlinked(trx, attachmentIds);
		return true;
	});
}
