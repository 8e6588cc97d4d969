// What a user does to a conversation beyond sending: edit a message, ask again, branch it off,
// change its model and settings (slash commands), and /image. Kept apart from the conversations
// and replies stores, which own the state and the streams these build on.
import { api } from '$lib/client/api';
import { attachmentsStore } from '$lib/stores/attachments.svelte';
import { conversationsStore } from '$lib/stores/conversations.svelte';
import { repliesStore } from '$lib/stores/replies.svelte';
import type {
	ConversationDto,
	ConversationSettingsDto,
	JobDto,
	MessageDto,
	PresetDto
} from '$lib/shared/dto';

/** /image: a generated picture as a new exchange; returns the conversation id. */
export async function generateImage(prompt: string): Promise<number | null> {
	if (repliesStore.sending) return null;
	conversationsStore.error = null;
	repliesStore.sending = true;
	try {
		const conversation = conversationsStore.current;
		const result = await api<{ conversationId: number; message: MessageDto; reply: MessageDto }>(
			'POST',
			'/api/images',
			{ prompt, ...(conversation ? { conversationId: conversation.id } : {}) }
		);
		if (conversation) {
			conversation.messages.push(result.message, result.reply);
			conversationsStore.showMessage(result.reply.id);
			conversationsStore.save();
		} else {
			conversationsStore.current = await api<ConversationDto>(
				'GET',
				`/api/conversations/${result.conversationId}`
			);
		}
		void conversationsStore.loadSidebar();
		return result.conversationId;
	} catch (error) {
		conversationsStore.fail(error);
		return null;
	} finally {
		repliesStore.sending = false;
	}
}

/** Sends an edited copy of a user message: a sibling of it, answered afresh. */
export async function editMessage(messageId: number, content: string): Promise<boolean> {
	const original = conversationsStore.current?.messages.find((m) => m.id === messageId);
	if (!original || original.role !== 'user') return false;
	if (!navigator.onLine) {
		conversationsStore.error = 'You are offline; edits are sent once you are back online.';
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
	return (await repliesStore.send(content, original.parentId, attached)) !== null;
}

/** Asks for another reply to the message `messageId` answered (or to a user message). */
export async function regenerateReply(messageId: number) {
	const conversation = conversationsStore.current;
	if (!conversation || repliesStore.sending) return;
	conversationsStore.error = null;
	repliesStore.sending = true;
	try {
		const result = await api<{ reply: MessageDto; job: JobDto }>(
			'POST',
			`/api/conversations/${conversation.id}/regenerate`,
			{ messageId, ...(conversationsStore.model ? { model: conversationsStore.model } : {}) }
		);
		conversation.messages.push(result.reply);
		conversationsStore.showMessage(result.reply.id);
		repliesStore.follow(result.job.id, result.reply.id);
		void conversationsStore.loadSidebar();
	} catch (error) {
		conversationsStore.fail(error);
	} finally {
		repliesStore.sending = false;
	}
}

/** Extends a stopped, interrupted or length-cut reply in place, as a new job. */
export async function continueReply(messageId: number) {
	const conversation = conversationsStore.current;
	if (!conversation || repliesStore.sending) return;
	conversationsStore.error = null;
	repliesStore.sending = true;
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
		repliesStore.follow(result.job.id, messageId);
	} catch (error) {
		conversationsStore.fail(error);
	} finally {
		repliesStore.sending = false;
	}
}

/** Sends again the message refused as too large for the context window, cut to fit. */
export async function sendTruncated() {
	const refused = repliesStore.overflow;
	if (!refused) return;
	repliesStore.overflow = null;
	const id = await repliesStore.send(refused.content, refused.parentId, refused.attached, {
		truncate: true
	});
	if (id !== null && refused.attached) attachmentsStore.clear();
}

/** A new conversation holding the history up to `messageId`; returns its id. */
export async function branchFrom(messageId: number): Promise<number | null> {
	const conversation = conversationsStore.current;
	if (!conversation) return null;
	try {
		const copy = await api<ConversationDto>(
			'POST',
			`/api/conversations/${conversation.id}/branch`,
			{ messageId }
		);
		void conversationsStore.loadSidebar();
		return copy.id;
	} catch (error) {
		conversationsStore.fail(error);
		return null;
	}
}

/** Changes the open conversation's model, settings or system prompt (or the draft's). */
export async function configureConversation(patch: {
	model?: string;
	settings?: ConversationSettingsDto;
	systemPrompt?: string | null;
}): Promise<boolean> {
	if (patch.model) conversationsStore.model = patch.model;
	const conversation = conversationsStore.current;
	if (!conversation) {
		conversationsStore.draft = {
			settings: { ...conversationsStore.draft.settings, ...patch.settings },
			systemPrompt:
				patch.systemPrompt === undefined
					? conversationsStore.draft.systemPrompt
					: patch.systemPrompt
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
		conversationsStore.save();
		return true;
	} catch (error) {
		conversationsStore.fail(error);
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
	const conversation = conversationsStore.current;
	const before = conversation?.earlierBefore;
	if (!conversation || before === undefined) return 0;
	try {
		const page = await api<ConversationDto>(
			'GET',
			`/api/conversations/${conversation.id}?before=${before}`
		);
		if (conversationsStore.current !== conversation) return 0;
		const loaded = new Set(conversation.messages.map((m) => m.id));
		const earlier = page.messages.filter((m) => !loaded.has(m.id));
		conversation.messages.unshift(...earlier);
		if (page.earlierBefore === undefined) delete conversation.earlierBefore;
		else conversation.earlierBefore = page.earlierBefore;
		return earlier.length;
	} catch (error) {
		conversationsStore.fail(error);
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
