// Reads Hearth's own JSON export (exports/hearth-format.ts) back: one ImportItem per element of
// its `conversations` array, a problem for an element that is not a well-formed tree; an
// account archive's prompts and presets come first, as one library item.
import type { z } from 'zod';
import {
	HearthConversation,
	HearthPreset,
	HearthPrompt,
	type HearthMessage
} from '$lib/server/exports/hearth-format';
import type { ImportedLibrary, ImportedMessage, ImportItem } from '$lib/server/imports/types';

/** Replies that were still being written when exported come back as interrupted. */
function finishedStatus(status: HearthMessage['status']) {
	return status === 'queued' || status === 'streaming' ? 'interrupted' : status;
}

function describe(element: unknown): { sourceId: string | null; title: string | null } {
	const e = (typeof element === 'object' && element !== null ? element : {}) as Record<
		string,
		unknown
	>;
	return {
		sourceId: typeof e.id === 'number' || typeof e.id === 'string' ? String(e.id) : null,
		title: typeof e.title === 'string' ? e.title : null
	};
}

function problem(element: unknown, message: string): ImportItem {
	return { type: 'problem', problem: { ...describe(element), message } };
}

function treeProblem(conversation: HearthConversation): string | null {
	const ids = new Set<number>();
	for (const m of conversation.messages) {
		if (ids.has(m.id)) return `message ${m.id} appears twice`;
		ids.add(m.id);
	}
	for (const m of conversation.messages)
		if (m.parentId !== null && !ids.has(m.parentId))
			return `message ${m.id}: its parent ${m.parentId} is not in the conversation`;
	const current = conversation.currentMessageId;
	if (current != null && !ids.has(current))
		return `currentMessageId ${current} is not in the conversation`;
	return null;
}

/** The prompts and presets of an archive's header; a malformed one is a problem, not fatal. */
function libraryItems(header: Record<string, unknown>): ImportItem[] {
	const items: ImportItem[] = [];
	const library: ImportedLibrary = { prompts: [], presets: [] };
	const each = <T>(key: string, schema: z.ZodType<T>, into: T[]) => {
		const list = header[key];
		if (!Array.isArray(list)) return;
		list.forEach((element, i) => {
			const parsed = schema.safeParse(element);
			if (parsed.success) into.push(parsed.data);
			else
				items.push({
					type: 'problem',
					problem: { sourceId: null, title: null, message: `${key}[${i}]: not a valid entry` }
				});
		});
	};
	each('prompts', HearthPrompt, library.prompts);
	each('presets', HearthPreset, library.presets);
	if (library.prompts.length + library.presets.length > 0)
		items.unshift({ type: 'library', library });
	return items;
}

export async function* parseHearthExport(
	conversations: AsyncIterable<unknown>,
	header: Record<string, unknown> = {}
): AsyncGenerator<ImportItem> {
	yield* libraryItems(header);
	for await (const element of conversations) {
		const parsed = HearthConversation.safeParse(element);
		if (!parsed.success) {
			const issue = parsed.error.issues[0]!;
			yield problem(element, `${issue.path.join('.') || 'conversation'}: ${issue.message}`);
			continue;
		}
		const c = parsed.data;
		const wrong = treeProblem(c);
		if (wrong) {
			yield problem(element, wrong);
			continue;
		}
		yield {
			type: 'conversation',
			conversation: {
				sourceId: String(c.id),
				title: c.title,
				createdAt: c.createdAt,
				updatedAt: c.updatedAt,
				model: c.model,
				systemPrompt: c.systemPrompt,
				settings: c.settings,
				pinned: c.pinned,
				currentSourceId: c.currentMessageId == null ? null : String(c.currentMessageId),
				messages: c.messages.map((m): ImportedMessage => ({
					sourceId: String(m.id),
					parentSourceId: m.parentId === null ? null : String(m.parentId),
					role: m.role,
					content: m.content,
					reasoning: m.reasoning,
					model: m.model,
					createdAt: m.createdAt,
					status: finishedStatus(m.status),
					usage: m.usage
				}))
			}
		};
	}
}
