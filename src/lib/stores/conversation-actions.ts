// What a user does to a conversation beyond sending: edit a message, ask again, branch it off,
// change its model and settings (slash commands), and /image. Kept apart from the chat store,
// which owns the state, the streams and the offline copy these build on.
import { api } from '$lib/client/api';
import { attachmentsStore } from '$lib/stores/attachments.svelte';
import { chatStore } from '$lib/stores/chat.svelte';
import type {
	ConversationDto,
	ConversationSettingsDto,
	JobDto,
	MessageDto,
	PresetDto
} from '$lib/shared/dto';

/** /image: a generated picture as a new exchange; returns the conversation id. */
export async function generateImage(prompt: string): Promise<number | null> {
	if (chatStore.sending) return null;
	chatStore.error = null;
	chatStore.sending = true;
	try {
		const conversation = chatStore.current;
		const result = await api<{ conversationId: number; message: MessageDto; reply: MessageDto }>(
			'POST',
			'/api/images',
			{ prompt, ...(conversation ? { conversationId: conversation.id } : {}) }
		);
		if (conversation) {
			conversation.messages.push(result.message, result.reply);
			chatStore.showMessage(result.reply.id);
			chatStore.save();
		} else {
			chatStore.current = await api<ConversationDto>(
				'GET',
				`/api/conversations/${result.conversationId}`
			);
		}
		void chatStore.loadSidebar();
		return result.conversationId;
	} catch (error) {
		chatStore.fail(error);
		return null;
	} finally {
		chatStore.sending = false;
	}
}

/** Sends an edited copy of a user message: a sibling of it, answered afresh. */
export async function editMessage(messageId: number, content: string): Promise<boolean> {
	const original = chatStore.current?.messages.find((m) => m.id === messageId);
	if (!original || original.role !== 'user') return false;
	if (!navigator.onLine) {
		chatStore.error = 'You are offline; edits are sent once you are back online.';
		return false;
	}
	// The edited message keeps the original's files (the same attachment rows).
	const attached = original.attachments?.length
		? {
				ids: original.attachments.map((a) => a.id),
				files: [],
				hasImages: original.attachments.some((a) => a.kind === 'image')
			}
		: null;
	return (await chatStore.send(content, original.parentId, attached)) !== null;
}

/** Asks for another reply to the message `messageId` answered (or to a user message). */
export async function regenerateReply(messageId: number) {
	const conversation = chatStore.current;
	if (!conversation || chatStore.sending) return;
	chatStore.error = null;
	chatStore.sending = true;
	try {
		const result = await api<{ reply: MessageDto; job: JobDto }>(
			'POST',
			`/api/conversations/${conversation.id}/regenerate`,
			{ messageId, ...(chatStore.model ? { model: chatStore.model } : {}) }
		);
		conversation.messages.push(result.reply);
		chatStore.showMessage(result.reply.id);
		chatStore.follow(result.job.id, result.reply.id);
		void chatStore.loadSidebar();
	} catch (error) {
		chatStore.fail(error);
	} finally {
		chatStore.sending = false;
	}
}

/** Extends a stopped, interrupted or length-cut reply in place, as a new job. */
export async function continueReply(messageId: number) {
	const conversation = chatStore.current;
	if (!conversation || chatStore.sending) return;
	chatStore.error = null;
	chatStore.sending = true;
	try {
		const result = await api<{ reply: MessageDto; job: JobDto }>(
			'POST',
			`/api/messages/${messageId}/continue`,
			{}
		);
		const reply = conversation.messages.find((m) => m.id === messageId);
		if (reply) {
			Object.assign(reply, result.reply);
			delete reply.continuable;
		}
		chatStore.follow(result.job.id, messageId);
	} catch (error) {
		chatStore.fail(error);
	} finally {
		chatStore.sending = false;
	}
}

/** Sends again the message refused as too large for the context window, cut to fit. */
export async function sendTruncated() {
	const refused = chatStore.overflow;
	if (!refused) return;
	chatStore.overflow = null;
	const id = await chatStore.send(refused.content, refused.parentId, refused.attached, {
		truncate: true
	});
	if (id !== null && refused.attached) attachmentsStore.clear();
}

/** A new conversation holding the history up to `messageId`; returns its id. */
export async function branchFrom(messageId: number): Promise<number | null> {
	const conversation = chatStore.current;
	if (!conversation) return null;
	try {
		const copy = await api<ConversationDto>(
			'POST',
			`/api/conversations/${conversation.id}/branch`,
			{ messageId }
		);
		void chatStore.loadSidebar();
		return copy.id;
	} catch (error) {
		chatStore.fail(error);
		return null;
	}
}

/** Changes the open conversation's model, settings or system prompt (or the draft's). */
export async function configureConversation(patch: {
	model?: string;
	settings?: ConversationSettingsDto;
	systemPrompt?: string | null;
}): Promise<boolean> {
	if (patch.model) chatStore.model = patch.model;
	const conversation = chatStore.current;
	if (!conversation) {
		chatStore.draft = {
			settings: { ...chatStore.draft.settings, ...patch.settings },
			systemPrompt:
				patch.systemPrompt === undefined ? chatStore.draft.systemPrompt : patch.systemPrompt
		};
		return true;
	}
	try {
		const body = {
			...patch,
			...(patch.settings ? { settings: { ...conversation.settings, ...patch.settings } } : {})
		};
		const fresh = await api<ConversationDto>(
			'PATCH',
			`/api/conversations/${conversation.id}`,
			body
		);
		conversation.model = fresh.model;
		conversation.settings = fresh.settings;
		conversation.systemPrompt = fresh.systemPrompt;
		chatStore.save();
		return true;
	} catch (error) {
		chatStore.fail(error);
		return false;
	}
}

/** The settings in force for the next reply. */
export { conversationSettings } from '$lib/stores/conversation-settings';

/**
 * A large conversation arrives as its newest page of messages: this loads the page before the
 * oldest one loaded. Resolves to how many messages came (0 when none or on an error).
 */
export async function loadEarlierMessages(): Promise<number> {
	const conversation = chatStore.current;
	const before = conversation?.earlierBefore;
	if (!conversation || before === undefined) return 0;
	try {
		const page = await api<ConversationDto>(
			'GET',
			`/api/conversations/${conversation.id}?before=${before}`
		);
		if (chatStore.current !== conversation) return 0;
		const loaded = new Set(conversation.messages.map((m) => m.id));
		const earlier = page.messages.filter((m) => !loaded.has(m.id));
		conversation.messages.unshift(...earlier);
		if (page.earlierBefore === undefined) delete conversation.earlierBefore;
		else conversation.earlierBefore = page.earlierBefore;
		return earlier.length;
	} catch (error) {
		chatStore.fail(error);
		return 0;
	}
}

/**
 * A preset's model, temperature, reasoning and system prompt for this conversation (or the new
 * one); the preset's name is kept in the settings so the settings sheet can show it. A preset
 * without a model keeps the current one.
 */
export function applyPreset(preset: PresetDto): Promise<boolean> {
	return configureConversation({
		...(preset.model ? { model: preset.model } : {}),
		settings: {
			temperature: preset.temperature ?? undefined,
			reasoning: preset.reasoning ?? undefined,
			preset: preset.name
		},
		systemPrompt: preset.systemPrompt
	});
}
