// Hearth's own export format (version 1): one envelope holding whole conversation trees, with
// settings and usage, so an export re-imports into exactly the same tree. Times are milliseconds
// since the epoch, as in the API. Written by the exporters here, read by imports/hearth.ts.
import { z } from 'zod';
import { ConversationSettings } from '$lib/server/schemas';
import { MESSAGE_STATUSES, REASONING_LEVELS } from '$lib/shared/dto';
import { modelRef, parseSettings } from '$lib/server/services/dto';
import type { Conversation, Message } from '$lib/server/db/schema';

export const HEARTH_EXPORT_FORMAT = 'hearth';
export const HEARTH_EXPORT_VERSION = 1;

const Timestamp = z.number().int().nonnegative();
const Id = z.number().int().positive();

export const HearthMessage = z.object({
	id: Id,
	parentId: Id.nullable(),
	role: z.enum(['system', 'user', 'assistant']),
	content: z.string(),
	reasoning: z.string().nullable(),
	status: z.enum(MESSAGE_STATUSES),
	model: z.string().nullable(),
	createdAt: Timestamp,
	usage: z
		.object({
			promptTokens: z.number().int().nonnegative().nullable(),
			completionTokens: z.number().int().nonnegative().nullable()
		})
		.nullable()
});
export type HearthMessage = z.infer<typeof HearthMessage>;

export const HearthConversation = z.object({
	id: Id,
	title: z.string(),
	createdAt: Timestamp,
	updatedAt: Timestamp,
	model: z.string().nullable(),
	systemPrompt: z.string().nullable(),
	settings: ConversationSettings,
	pinned: z.boolean(),
	/** The leaf of the branch shown when the conversation was exported. */
	currentMessageId: Id.nullable().optional(),
	messages: z.array(HearthMessage)
});
export type HearthConversation = z.infer<typeof HearthConversation>;

/** A saved prompt in an archive (the user's own and the shared ones they saw). */
export const HearthPrompt = z.object({
	command: z.string(),
	title: z.string(),
	text: z.string()
});
export type HearthPrompt = z.infer<typeof HearthPrompt>;

export const HearthPreset = z.object({
	name: z.string(),
	model: z.string().nullable(),
	temperature: z.number().nullable(),
	reasoning: z.enum(REASONING_LEVELS).nullable(),
	systemPrompt: z.string().nullable()
});
export type HearthPreset = z.infer<typeof HearthPreset>;

/**
 * The envelope without its conversations (which a streaming reader takes one by one). An
 * account's archive also holds its prompts and presets, written before the conversations so a
 * streaming reader has them in the header; each is checked on its own when imported.
 */
export const HearthExportHeader = z.object({
	format: z.literal(HEARTH_EXPORT_FORMAT),
	version: z.literal(HEARTH_EXPORT_VERSION),
	exportedAt: Timestamp,
	prompts: z.array(z.unknown()).optional(),
	presets: z.array(z.unknown()).optional()
});

export interface HearthLibrary {
	prompts: HearthPrompt[];
	presets: HearthPreset[];
}

export interface HearthExport extends z.infer<typeof HearthExportHeader> {
	conversations: HearthConversation[];
}

export function toHearthMessage(m: Message): HearthMessage {
	return {
		id: m.id,
		parentId: m.parent_id,
		role: m.role,
		content: m.content,
		reasoning: m.reasoning,
		status: m.status,
		model: modelRef(m.provider, m.model),
		createdAt: m.created_at,
		usage:
			m.prompt_tokens === null && m.completion_tokens === null
				? null
				: { promptTokens: m.prompt_tokens, completionTokens: m.completion_tokens }
	};
}

export function toHearthConversation(
	row: Conversation,
	messages: Message[],
	currentMessageId: number | null
): HearthConversation {
	return {
		id: row.id,
		title: row.title,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
		model: row.model,
		systemPrompt: row.system_prompt,
		settings: parseSettings(row.settings),
		pinned: row.pinned_at !== null,
		currentMessageId,
		messages: messages.map(toHearthMessage)
	};
}

/**
 * The envelope as JSON text, written in pieces: the header, then each conversation as it comes,
 * so a whole account never has to sit in memory as one string.
 */
export async function* hearthExportJson(
	conversations: AsyncIterable<HearthConversation> | Iterable<HearthConversation>,
	exportedAt: number,
	library?: HearthLibrary
): AsyncGenerator<string> {
	const header = {
		format: HEARTH_EXPORT_FORMAT,
		version: HEARTH_EXPORT_VERSION,
		exportedAt,
		...library
	};
	yield `${JSON.stringify(header).slice(0, -1)},"conversations":[`;
	let first = true;
	for await (const conversation of conversations) {
		yield `${first ? '\n' : ',\n'}${JSON.stringify(conversation)}`;
		first = false;
	}
	yield '\n]}\n';
}
