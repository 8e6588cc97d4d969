// Open WebUI's chat export: an array of {id, title, chat: {title, models, history: {messages:
// {id: {id, parentId, childrenIds, role, content, timestamp, model}}, currentId}, messages},
// created_at, updated_at, pinned}. Older chats without `history` are a line of `messages`.
import type { ImportedMessage, ImportItem } from '$lib/server/imports/types';
import { arr, idOf, isObj, str, toMs } from '$lib/server/imports/fields';

const ROLES = new Set(['system', 'user', 'assistant']);

function toMessage(
	m: Record<string, unknown>,
	fallbackParent: string | null
): ImportedMessage | null {
	const id = idOf(m.id);
	const role = str(m.role);
	if (!id || !role || !ROLES.has(role)) return null;
	const files = arr(m.files)
		.filter(isObj)
		.map((f) => `[${f.type === 'image' ? 'image' : 'file'}: ${str(f.name) ?? 'file'}]`);
	return {
		sourceId: id,
		parentSourceId: 'parentId' in m ? idOf(m.parentId) : fallbackParent,
		role: role as ImportedMessage['role'],
		content: [str(m.content) ?? '', ...files].filter((s) => s !== '').join('\n\n'),
		model: role === 'assistant' ? (str(m.model) ?? str(m.modelName)) : null,
		createdAt: toMs(m.timestamp)
	};
}

export function parseOpenWebUiChat(raw: unknown): ImportItem {
	if (!isObj(raw) || !isObj(raw.chat)) throw new Error('A chat has no `chat` object');
	const chat = raw.chat;
	const sourceId = idOf(raw.id) ?? idOf(chat.id);
	if (!sourceId) throw new Error('The chat has no id');
	const messages: ImportedMessage[] = [];
	let current: string | null;
	if (isObj(chat.history) && isObj(chat.history.messages)) {
		for (const m of Object.values(chat.history.messages)) {
			const message = isObj(m) ? toMessage(m, null) : null;
			if (message) messages.push(message);
		}
		current = idOf(chat.history.currentId);
	} else {
		let previous: string | null = null;
		for (const m of arr(chat.messages)) {
			const message: ImportedMessage | null = isObj(m) ? toMessage(m, previous) : null;
			if (!message) continue;
			messages.push(message);
			previous = message.sourceId;
		}
		current = previous;
	}
	const title = str(raw.title) ?? str(chat.title);
	return {
		type: 'conversation',
		conversation: {
			sourceId,
			title: title && title.trim() !== '' && title !== 'New Chat' ? title : null,
			createdAt: toMs(raw.created_at ?? chat.timestamp),
			updatedAt: toMs(raw.updated_at),
			model: str(arr(chat.models)[0]),
			systemPrompt: str(chat.system),
			pinned: raw.pinned === true,
			currentSourceId: current,
			messages
		}
	};
}
