// LibreChat's conversation export (JSON): {conversationId, title, endpoint, model?, messages}
// where messages are flat {messageId, parentMessageId, sender, isCreatedByUser, text, content?,
// model, createdAt} or, with `recursive: true`, nested under `children`.
import type { ImportedMessage, ImportItem } from '$lib/server/imports/types';
import { arr, isObj, str, toMs, type Obj } from '$lib/server/imports/fields';

const NO_PARENT = '00000000-0000-0000-0000-000000000000';

function flatten(messages: unknown[], parent: string | null, out: Obj[]): void {
	for (const m of messages) {
		if (!isObj(m)) continue;
		out.push(parent !== null && !str(m.parentMessageId) ? { ...m, parentMessageId: parent } : m);
		if (Array.isArray(m.children)) flatten(m.children, str(m.messageId), out);
	}
}

export function parseLibreChatConversation(raw: unknown): ImportItem {
	if (!isObj(raw)) throw new Error('A conversation is not an object');
	const sourceId = str(raw.conversationId);
	if (!sourceId) throw new Error('The conversation has no conversationId');
	const flat: Obj[] = [];
	flatten(arr(raw.messages), null, flat);
	const messages: ImportedMessage[] = [];
	let current: { id: string; at: number } | null = null;
	for (const m of flat) {
		const id = str(m.messageId);
		if (!id) continue;
		const parts = arr(m.content).filter(isObj);
		const text =
			str(m.text) ||
			parts
				.filter((p) => p.type === 'text')
				.map((p) => (isObj(p.text) ? str(p.text.value) : str(p.text)) ?? '')
				.join('\n');
		const think = parts
			.filter((p) => p.type === 'think')
			.map((p) => str(p.think) ?? '')
			.join('\n');
		const parent = str(m.parentMessageId);
		const createdAt = toMs(m.createdAt);
		const user = m.isCreatedByUser === true;
		messages.push({
			sourceId: id,
			parentSourceId: parent && parent !== NO_PARENT ? parent : null,
			role: user ? 'user' : 'assistant',
			content: text,
			reasoning: think || null,
			model: user ? null : (str(m.model) ?? str(raw.model)),
			createdAt
		});
		if (!current || (createdAt ?? 0) >= current.at) current = { id, at: createdAt ?? 0 };
	}
	const title = str(raw.title);
	return {
		type: 'conversation',
		conversation: {
			sourceId,
			title: title && title.trim() !== '' && title !== 'New Chat' ? title : null,
			createdAt: toMs(raw.createdAt) ?? messages[0]?.createdAt ?? null,
			updatedAt: toMs(raw.updatedAt) ?? current?.at ?? null,
			model: str(raw.model),
			systemPrompt: str(raw.promptPrefix),
			currentSourceId: current?.id ?? null,
			messages
		}
	};
}
