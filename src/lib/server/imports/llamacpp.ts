// llama.cpp web UI export: {conv: {id, name, lastModified, currNode}, messages: [{id, convId,
// type: root|text, role, content, parent, children, timestamp, thinking?, model?}]} for one
// conversation, or an array of those for all. The empty `root` node is not a message.
import type { ImportedMessage, ImportItem } from '$lib/server/imports/types';
import { arr, idOf, isObj, str, toMs } from '$lib/server/imports/fields';

const ROLES = new Set(['system', 'user', 'assistant']);

export function parseLlamaCppConversation(raw: unknown): ImportItem {
	if (!isObj(raw) || !isObj(raw.conv)) throw new Error('A conversation has no `conv` object');
	const conv = raw.conv;
	const sourceId = idOf(conv.id);
	if (!sourceId) throw new Error('The conversation has no id');
	const roots = new Set<string>();
	const rows = arr(raw.messages).filter(isObj);
	for (const m of rows) if (m.type === 'root' && idOf(m.id)) roots.add(idOf(m.id)!);
	const messages: ImportedMessage[] = [];
	for (const m of rows) {
		const id = idOf(m.id);
		const role = str(m.role);
		if (!id || roots.has(id) || !role || !ROLES.has(role)) continue;
		const parent = idOf(m.parent);
		const extras = arr(m.extra)
			.filter(isObj)
			.map(
				(e) =>
					`[${String(e.type ?? '').includes('image') ? 'image' : 'file'}: ${str(e.name) ?? 'file'}]`
			);
		messages.push({
			sourceId: id,
			parentSourceId: parent && !roots.has(parent) ? parent : null,
			role: role as ImportedMessage['role'],
			content: [str(m.content) ?? '', ...extras].filter((s) => s !== '').join('\n\n'),
			reasoning: str(m.thinking) ?? str(m.reasoningContent),
			model: role === 'assistant' ? str(m.model) : null,
			createdAt: toMs(m.timestamp)
		});
	}
	const name = str(conv.name);
	return {
		type: 'conversation',
		conversation: {
			sourceId,
			title: name && name.trim() !== '' && name !== 'New Chat' ? name : null,
			createdAt: messages.reduce<number | null>(
				(min, m) =>
					m.createdAt !== null && (min === null || m.createdAt < min) ? m.createdAt : min,
				null
			),
			updatedAt: toMs(conv.lastModified),
			model: null,
			systemPrompt: null,
			currentSourceId: idOf(conv.currNode),
			messages
		}
	};
}
