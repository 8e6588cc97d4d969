// A /v1 exchange kept in its owner's history (the key's opt-in "save these conversations"): one
// new conversation per completed request — the request's system prompt, its user and assistant
// turns as a chain, and the reply with its usage — written in one transaction.
import type { Database } from '$lib/server/db/database';
import * as conversations from '$lib/server/repos/conversations';
import * as messages from '$lib/server/repos/messages';
import { MAX_CONVERSATION_CHARS, MAX_CONVERSATION_MESSAGES } from '$lib/server/services/chat';
import { MAX_TITLE_CHARS } from '$lib/server/services/conversations';

const TITLE_CHARS = 60;
const clean = (s: string) => (s.includes('\0') ? s.replaceAll('\0', '') : s);

export interface ApiExchange {
	userId: number;
	/** "provider/model" the reply came from. */
	provider: string;
	model: string;
	/** The request's turns, text only (image and tool parts are not kept). */
	turns: { role: 'system' | 'user' | 'assistant'; content: string }[];
	reply: string;
	reasoning: string;
	usage: { promptTokens: number; completionTokens: number } | null;
}

/** The new conversation's id; null when there was nothing to keep. */
export async function saveApiExchange(db: Database, exchange: ApiExchange): Promise<number | null> {
	const system = exchange.turns
		.filter((t) => t.role === 'system')
		.map((t) => t.content)
		.join('\n\n');
	// The newest turns that fit a conversation's bounds, with room for the reply.
	const chain: ApiExchange['turns'] = [];
	let chars = exchange.reply.length;
	for (const turn of exchange.turns.filter((t) => t.role !== 'system').reverse()) {
		if (chain.length + 1 >= MAX_CONVERSATION_MESSAGES) break;
		if (chars + turn.content.length > MAX_CONVERSATION_CHARS) break;
		chars += turn.content.length;
		chain.unshift(turn);
	}
	const firstUser = chain
		.find((t) => t.role === 'user')
		?.content.replace(/\s+/g, ' ')
		.trim();
	if (!firstUser && !exchange.reply) return null;
	const now = Date.now();
	return db.transaction().execute(async (trx) => {
		const conversation = await conversations.insertConversation(trx, {
			user_id: exchange.userId,
			title: clean(firstUser?.slice(0, TITLE_CHARS) || 'API request').slice(0, MAX_TITLE_CHARS),
			model: `${exchange.provider}/${exchange.model}`,
			system_prompt: system ? clean(system) : null,
			settings: '{}',
			now
		});
		let parentId: number | null = null;
		for (const turn of chain) {
			const row = await messages.insertMessage(trx, {
				conversation_id: conversation.id,
				user_id: exchange.userId,
				parent_id: parentId,
				role: turn.role,
				content: clean(turn.content),
				status: 'done',
				...(turn.role === 'assistant'
					? { provider: exchange.provider, model: exchange.model }
					: {}),
				created_at: now,
				updated_at: now
			});
			parentId = row.id;
		}
		await messages.insertMessage(trx, {
			conversation_id: conversation.id,
			user_id: exchange.userId,
			parent_id: parentId,
			role: 'assistant',
			content: clean(exchange.reply),
			reasoning: exchange.reasoning ? clean(exchange.reasoning) : null,
			status: 'done',
			provider: exchange.provider,
			model: exchange.model,
			prompt_tokens: exchange.usage?.promptTokens ?? null,
			completion_tokens: exchange.usage?.completionTokens ?? null,
			created_at: now,
			updated_at: now
		});
		return conversation.id;
	});
}
