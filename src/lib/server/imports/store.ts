// Stores one imported conversation, in one transaction: the conversation, its messages as a tree
// (parent links), and the source id, so the same conversation imported again adds nothing.
import type { Database } from '$lib/server/db/database';
import { isUniqueViolation } from '$lib/server/db/errors';
import * as conversations from '$lib/server/repos/conversations';
import * as messages from '$lib/server/repos/messages';
import * as imports from '$lib/server/repos/imports';
import { MAX_TITLE_CHARS } from '$lib/server/services/conversations';
import { planTree } from '$lib/server/imports/tree';
import type { ImportedConversation, ImportFormat } from '$lib/server/imports/types';

export const MAX_IMPORTED_MESSAGES_PER_CONVERSATION = 20_000;
const MAX_SOURCE_ID_CHARS = 500;
const DERIVED_TITLE_CHARS = 60;

export type StoreResult =
	| { ok: true; conversationId: number }
	| { ok: false; reason: 'skipped' }
	| { ok: false; reason: 'invalid'; message: string };

/** PostgreSQL text cannot hold NUL; it is never meaningful in a conversation. */
const clean = (s: string) => (s.includes('\0') ? s.replaceAll('\0', '') : s);

function derivedTitle(conversation: ImportedConversation): string {
	const first = conversation.messages.find((m) => m.role === 'user' && m.content.trim() !== '');
	const text = first?.content.replace(/\s+/g, ' ').trim() ?? '';
	return text.slice(0, DERIVED_TITLE_CHARS) || 'Imported conversation';
}

/** Hearth's own "provider/model"; other apps' model names are kept under their app's name. */
function splitModel(format: ImportFormat, model: string | null) {
	if (!model) return { provider: null, model: null };
	const slash = model.indexOf('/');
	if (format === 'hearth' && slash > 0)
		return { provider: model.slice(0, slash), model: model.slice(slash + 1) };
	return { provider: format, model };
}

export async function storeImportedConversation(
	db: Database,
	userId: number,
	format: ImportFormat,
	conversation: ImportedConversation
): Promise<StoreResult> {
	if (conversation.sourceId.length > MAX_SOURCE_ID_CHARS)
		return { ok: false, reason: 'invalid', message: 'The conversation id is too long' };
	const plan = planTree(conversation.messages, conversation.currentSourceId);
	if (plan.messages.length > MAX_IMPORTED_MESSAGES_PER_CONVERSATION)
		return {
			ok: false,
			reason: 'invalid',
			message: `More than ${MAX_IMPORTED_MESSAGES_PER_CONVERSATION} messages in one conversation`
		};
	const now = Date.now();
	const createdAt = conversation.createdAt ?? plan.messages[0]?.createdAt ?? now;
	try {
		return await db.transaction().execute(async (trx) => {
			if (await imports.findImportedConversation(trx, userId, format, conversation.sourceId))
				return { ok: false, reason: 'skipped' } as const;
			const row = await conversations.insertConversation(trx, {
				user_id: userId,
				title: clean(conversation.title?.trim() || derivedTitle(conversation)).slice(
					0,
					MAX_TITLE_CHARS
				),
				model: format === 'hearth' ? conversation.model : null,
				system_prompt: conversation.systemPrompt ? clean(conversation.systemPrompt) : null,
				settings: JSON.stringify(conversation.settings ?? {}),
				now: createdAt,
				// Import time, not the source's: device sync fetches what changed since its cursor.
				updated_at: now,
				pinned_at: conversation.pinned ? now : null
			});
			const ids = new Map<string, number>();
			for (const m of plan.messages) {
				const { provider, model } = splitModel(format, m.model);
				const inserted = await messages.insertMessage(trx, {
					conversation_id: row.id,
					user_id: userId,
					parent_id: m.parentSourceId === null ? null : ids.get(m.parentSourceId)!,
					role: m.role,
					content: clean(m.content),
					reasoning: m.reasoning ? clean(m.reasoning) : null,
					status: m.status ?? 'done',
					provider,
					model: model ? clean(model) : null,
					prompt_tokens: m.usage?.promptTokens ?? null,
					completion_tokens: m.usage?.completionTokens ?? null,
					created_at: m.createdAt ?? createdAt,
					updated_at: now
				});
				ids.set(m.sourceId, inserted.id);
			}
			await imports.insertImportSource(trx, {
				user_id: userId,
				format,
				source_id: conversation.sourceId,
				conversation_id: row.id,
				now
			});
			return { ok: true, conversationId: row.id } as const;
		});
	} catch (error) {
		// Another import of the same file stored it first.
		if (isUniqueViolation(error)) return { ok: false, reason: 'skipped' };
		throw error;
	}
}
