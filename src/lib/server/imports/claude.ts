// Claude's data export: conversations.json, an array of {uuid, name, created_at, updated_at,
// chat_messages: [{uuid, sender: human|assistant, text, content: [{type, text|thinking}],
// attachments, files, created_at, parent_message_uuid?}]}. Without parent ids the messages form
// one line in file order.
import type { ImportedMessage, ImportItem } from '$lib/server/imports/types';
import { arr, isObj, str, toMs } from '$lib/server/imports/fields';

function fileLines(message: Record<string, unknown>): string[] {
	const lines: string[] = [];
	for (const f of [...arr(message.attachments), ...arr(message.files)]) {
		if (!isObj(f)) continue;
		const name = str(f.file_name) ?? str(f.name) ?? 'file';
		lines.push(`[${/\.(png|jpe?g|gif|webp|heic)$/i.test(name) ? 'image' : 'file'}: ${name}]`);
	}
	return lines;
}

export function parseClaudeConversation(raw: unknown): ImportItem {
	if (!isObj(raw)) throw new Error('A conversation is not an object');
	const sourceId = str(raw.uuid);
	if (!sourceId) throw new Error('The conversation has no uuid');
	if (!Array.isArray(raw.chat_messages)) throw new Error('The conversation has no chat_messages');
	const ids = new Set(
		raw.chat_messages.map((m) => (isObj(m) ? str(m.uuid) : null)).filter((id) => id !== null)
	);
	const messages: ImportedMessage[] = [];
	let previous: string | null = null;
	for (const m of raw.chat_messages) {
		if (!isObj(m)) continue;
		const id = str(m.uuid);
		if (!id) continue;
		const parts = arr(m.content).filter(isObj);
		const text =
			parts.length > 0
				? parts
						.filter((p) => p.type === 'text')
						.map((p) => str(p.text) ?? '')
						.join('\n')
				: (str(m.text) ?? '');
		const thinking = parts
			.filter((p) => p.type === 'thinking')
			.map((p) => str(p.thinking) ?? '')
			.join('\n');
		const parent = str(m.parent_message_uuid);
		messages.push({
			sourceId: id,
			parentSourceId: parent !== null ? (ids.has(parent) ? parent : null) : previous,
			role: m.sender === 'human' ? 'user' : 'assistant',
			content: [text, ...fileLines(m)].filter((s) => s !== '').join('\n\n'),
			reasoning: thinking || null,
			model: m.sender === 'human' ? null : (str(raw.model) ?? null),
			createdAt: toMs(m.created_at)
		});
		previous = id;
	}
	const name = str(raw.name);
	return {
		type: 'conversation',
		conversation: {
			sourceId,
			title: name && name.trim() !== '' ? name : null,
			createdAt: toMs(raw.created_at),
			updatedAt: toMs(raw.updated_at),
			model: str(raw.model),
			systemPrompt: null,
			currentSourceId: str(raw.current_leaf_message_uuid) ?? previous,
			messages
		}
	};
}
