// Saved prompts and presets: loaded once per page for the composer's "/" list and the new-chat
// picker, changed from Settings and the composer, and applied to a conversation.
import { api } from '$lib/client/api';
import type { PresetDto, PresetListDto, PromptDto } from '$lib/shared/dto';
import type { SlashPrompt } from '$lib/shared/slash-commands';

export type PromptFields = Pick<PromptDto, 'command' | 'title' | 'text'> & { shared?: boolean };
export type PresetFields = Partial<
	Pick<PresetDto, 'model' | 'temperature' | 'reasoning' | 'systemPrompt' | 'isDefault'>
> & { name: string; shared?: boolean };

class PromptsStore {
	prompts = $state<PromptDto[]>([]);
	presets = $state<PresetDto[]>([]);
	defaultPreset = $state<PresetDto | null>(null);
	loaded = $state(false);
	private loading: Promise<void> | null = null;

	/** The prompts as the slash commands' context wants them. */
	get slashPrompts(): SlashPrompt[] {
		return this.prompts;
	}

	get presetNames(): string[] {
		return this.presets.map((p) => p.name);
	}

	/** Loads both lists once (again after `force`); offline, the lists stay as they were. */
	load(force = false): Promise<void> {
		if (this.loading && !force) return this.loading;
		this.loading = (async () => {
			try {
				const [prompts, presets] = await Promise.all([
					api<{ prompts: PromptDto[] }>('GET', '/api/prompts'),
					api<PresetListDto>('GET', '/api/presets')
				]);
				this.prompts = prompts.prompts;
				this.presets = presets.presets;
				this.defaultPreset = presets.defaultPreset;
				this.loaded = true;
			} catch {
				this.loading = null;
			}
		})();
		return this.loading;
	}

	async createPrompt(fields: PromptFields): Promise<PromptDto> {
		const { prompt } = await api<{ prompt: PromptDto }>('POST', '/api/prompts', fields);
		await this.load(true);
		return prompt;
	}

	async updatePrompt(id: number, fields: Partial<PromptFields>): Promise<void> {
		await api('PATCH', `/api/prompts/${id}`, fields);
		await this.load(true);
	}

	async removePrompt(id: number): Promise<void> {
		await api('DELETE', `/api/prompts/${id}`);
		await this.load(true);
	}

	async createPreset(fields: PresetFields): Promise<PresetDto> {
		const { preset } = await api<{ preset: PresetDto }>('POST', '/api/presets', fields);
		await this.load(true);
		return preset;
	}

	async updatePreset(id: number, fields: Partial<PresetFields>): Promise<void> {
		await api('PATCH', `/api/presets/${id}`, fields);
		await this.load(true);
	}

	async removePreset(id: number): Promise<void> {
		await api('DELETE', `/api/presets/${id}`);
		await this.load(true);
	}
}

export const promptsStore = new PromptsStore();
