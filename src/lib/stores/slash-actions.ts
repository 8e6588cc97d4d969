// Carries out what a slash command asks (the table and the parser are src/lib/shared/slash-commands.ts):
// the conversation's model and settings, its system prompt, a preset, /image. The chat view shows the
// result; what it must change on screen (help, a notice, a new address) comes back as data.
import { modelLabel } from '$lib/shared/model-ref';
import type { SlashAction } from '$lib/shared/slash-commands';
import { conversationsStore } from '$lib/stores/conversations.svelte';
import { promptsStore } from '$lib/stores/prompts.svelte';
import { conversationSettings } from '$lib/stores/conversation-settings';
import {
	applyPreset,
	configureConversation,
	generateImage
} from '$lib/stores/conversation-actions';

export type SlashResult =
	| { kind: 'help' }
	/** `notice`: what to confirm; `created`: the id of a conversation the command started. */
	| { kind: 'done'; ok: boolean; notice?: string; created?: number };

function done(ok: boolean, notice: string): SlashResult {
	return ok ? { kind: 'done', ok, notice } : { kind: 'done', ok };
}

export async function runSlashAction(action: SlashAction): Promise<SlashResult> {
	switch (action.kind) {
		case 'help':
			return { kind: 'help' };
		case 'model':
			return done(
				await configureConversation({ model: action.model }),
				`Model: ${modelLabel(action.model, conversationsStore.models)}`
			);
		case 'temperature':
			return done(
				await configureConversation({ settings: { temperature: action.value } }),
				`Temperature: ${action.value}`
			);
		case 'reasoning':
			return done(
				await configureConversation({ settings: { reasoning: action.level } }),
				`Reasoning: ${action.level}`
			);
		case 'system': {
			const before = conversationSettings().systemPrompt;
			const systemPrompt =
				action.text === null ? null : before ? `${before}\n\n${action.text}` : action.text;
			return done(
				await configureConversation({ systemPrompt }),
				action.text === null ? 'System prompt cleared' : 'Added to the system prompt'
			);
		}
		case 'preset': {
			const preset = promptsStore.presets.find((p) => p.name === action.name);
			return preset
				? done(await applyPreset(preset), `Preset: ${preset.name}`)
				: { kind: 'done', ok: false };
		}
		case 'image': {
			const wasNew = conversationsStore.current === null;
			const id = await generateImage(action.prompt);
			if (id === null) return { kind: 'done', ok: false };
			return wasNew ? { kind: 'done', ok: true, created: id } : { kind: 'done', ok: true };
		}
	}
}
