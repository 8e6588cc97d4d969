// The open conversation's settings (or the new chat's draft), on their own so the chat page's
// toolbar can show them without loading the conversation actions up front.
import { conversationsStore } from '$lib/stores/conversations.svelte';
import type { ConversationSettingsDto } from '$lib/shared/dto';

export function conversationSettings(): ConversationSettingsDto & { systemPrompt: string | null } {
	const { current, draft } = conversationsStore;
	return current
		? { ...current.settings, systemPrompt: current.systemPrompt }
		: { ...draft.settings, systemPrompt: draft.systemPrompt };
}
