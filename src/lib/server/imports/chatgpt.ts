// ChatGPT's data export: conversations with a `mapping` tree of nodes {id, message|null, parent,
// children} and a `current_node`. Hidden system/context nodes and tool internals are skipped and
// their children re-linked to the nearest kept ancestor; cyclic parent links are broken.
import type { ImportedMessage, ImportItem } from '$lib/server/imports/types';
import {
	arr,
	isObj,
	linkText,
	num,
	safeUrl,
	str,
	toMs,
	type Obj
} from '$lib/server/imports/fields';

const HIDDEN_CONTENT_TYPES = new Set([
	'user_editable_context',
	'model_editable_context',
	'tether_browsing_display',
	'tether_quote',
	'system_error',
	'thoughts',
	'reasoning_recap'
]);

function imagePart(part: Obj, names: Map<string, string>): string {
	const pointer = str(part.asset_pointer) ?? '';
	const fileId = pointer.replace(/^[a-z-]+:\/\//, '');
	const name = names.get(fileId) ?? (fileId || 'image');
	return `[image: ${name}]`;
}

function citationLinks(meta: Obj): { url: string; title: string; matched: string | null }[] {
	const links: { url: string; title: string; matched: string | null }[] = [];
	for (const c of arr(meta.citations)) {
		if (!isObj(c) || !isObj(c.metadata)) continue;
		const url = safeUrl(c.metadata.url);
		if (url) links.push({ url, title: str(c.metadata.title) ?? url, matched: null });
	}
	for (const ref of arr(meta.content_references)) {
		if (!isObj(ref)) continue;
		const matched = str(ref.matched_text);
		for (const item of arr(ref.items)) {
			if (!isObj(item)) continue;
			const url = safeUrl(item.url);
			if (url) links.push({ url, title: str(item.title) ?? url, matched });
		}
		const url = safeUrl(ref.url);
		if (url) links.push({ url, title: str(ref.title) ?? url, matched });
	}
	return links;
}

/** The visible text of a message, or null when the node is hidden or internal. */
function renderMessage(message: Obj): string | null {
	const author = isObj(message.author) ? message.author : {};
	const role = str(author.role);
	const meta = isObj(message.metadata) ? message.metadata : {};
	const content = isObj(message.content) ? message.content : {};
	const type = str(content.content_type) ?? 'text';
	if (meta.is_visually_hidden_from_conversation === true || HIDDEN_CONTENT_TYPES.has(type))
		return null;
	const names = new Map<string, string>();
	for (const a of arr(meta.attachments))
		if (isObj(a) && str(a.id)) names.set(str(a.id)!, str(a.name) ?? str(a.id)!);
	let text: string;
	if (type === 'code') {
		const language = str(content.language);
		text = `\`\`\`${language && language !== 'unknown' ? language : ''}\n${str(content.text) ?? ''}\n\`\`\``;
	} else if (type === 'execution_output') {
		text = `Output:\n\`\`\`\n${str(content.text) ?? ''}\n\`\`\``;
	} else if (type === 'text' || type === 'multimodal_text') {
		text = arr(content.parts)
			.map((p) => (typeof p === 'string' ? p : isObj(p) ? imagePart(p, names) : ''))
			.filter((p) => p !== '')
			.join('\n');
	} else {
		text =
			str(content.text) ??
			arr(content.parts)
				.filter((p) => typeof p === 'string')
				.join('\n');
	}
	if (role === 'tool' && type !== 'execution_output' && type !== 'multimodal_text') return null;
	if (
		role === 'assistant' &&
		str(message.recipient) &&
		message.recipient !== 'all' &&
		type !== 'code'
	)
		return null;
	const links = citationLinks(meta);
	const seen = new Set<string>();
	const sources: string[] = [];
	for (const link of links) {
		const md = `[${linkText(link.title)}](${link.url})`;
		if (link.matched && text.includes(link.matched)) text = text.split(link.matched).join(` ${md}`);
		if (!seen.has(link.url)) {
			seen.add(link.url);
			sources.push(`- ${md}`);
		}
	}
	// Citation markers with no reference left (private-use brackets ChatGPT uses).
	text = text.replace(/\u3010[^\u3011]{0,200}\u3011|\ue200[^\ue201]{0,200}\ue201/g, '');
	if (sources.length > 0) text = `${text}\n\nSources:\n${sources.join('\n')}`;
	if (text.trim() === '') return null;
	return text;
}

const ROLE: Record<string, ImportedMessage['role']> = {
	user: 'user',
	assistant: 'assistant',
	tool: 'assistant',
	system: 'system'
};

export function parseChatGptConversation(raw: unknown): ImportItem {
	if (!isObj(raw)) throw new Error('A conversation is not an object');
	const sourceId = str(raw.conversation_id) ?? str(raw.id);
	const title = str(raw.title);
	if (!sourceId) throw new Error('The conversation has no id');
	if (!isObj(raw.mapping)) throw new Error('The conversation has no message tree (mapping)');
	const mapping = raw.mapping;
	const defaultModel = str(raw.default_model_slug);
	const kept = new Map<string, ImportedMessage>();
	for (const [nodeId, node] of Object.entries(mapping)) {
		if (!isObj(node) || !isObj(node.message)) continue;
		const message = node.message;
		const role = ROLE[str(isObj(message.author) ? message.author.role : null) ?? ''];
		const text = role ? renderMessage(message) : null;
		if (!role || text === null) continue;
		const meta = isObj(message.metadata) ? message.metadata : {};
		kept.set(nodeId, {
			sourceId: nodeId,
			parentSourceId: null,
			role,
			content: text,
			model: role === 'assistant' ? (str(meta.model_slug) ?? defaultModel) : null,
			createdAt: toMs(num(message.create_time))
		});
	}
	/** The nearest kept node at or above `id`, not revisiting any node (a cycle ends the walk). */
	const keptAncestor = (id: string | null, seen: Set<string>): string | null => {
		for (let at = id; at !== null && !seen.has(at);) {
			seen.add(at);
			if (kept.has(at)) return at;
			const node = mapping[at];
			at = isObj(node) ? str(node.parent) : null;
		}
		return null;
	};
	for (const [nodeId, message] of kept) {
		const node = mapping[nodeId] as Obj;
		message.parentSourceId = keptAncestor(str(node.parent), new Set([nodeId]));
	}
	return {
		type: 'conversation',
		conversation: {
			sourceId,
			title: title && title.trim() !== '' ? title : null,
			createdAt: toMs(raw.create_time),
			updatedAt: toMs(raw.update_time),
			model: defaultModel,
			systemPrompt: null,
			currentSourceId: keptAncestor(str(raw.current_node), new Set()),
			messages: [...kept.values()]
		}
	};
}
