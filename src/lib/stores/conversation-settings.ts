// The open conversation's settings (or the new chat's draft), on their own so the chat page's
// toolbar can show them without loading the conversation actions up front.
import { chatStore } from '$lib/stores/chat.svelte';
import type { ConversationSettingsDto } from '$lib/shared/dto';

export function conversationSettings(): ConversationSettingsDto & { systemPrompt: string | null } {
	return chatStore.current
		? { ...chatStore.current.settings, systemPrompt: chatStore.current.systemPrompt }
		: { ...chatStore.draft.settings, systemPrompt: chatStore.draft.systemPrompt };
}
