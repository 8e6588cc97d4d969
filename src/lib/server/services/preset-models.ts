// Shared presets as model names. A preset the admin shares with everyone (no owner) is what /v1
// clients name as their model and lists in /v1/models, and what "alias/<name>" resolves to in a
// chat (conversations saved while aliases were a table of their own). Before, these were "model
// aliases"; one thing now, edited where presets are. A preset without a model means the home model.
import { z } from 'zod';
import type { Executor } from '$lib/server/db/database';
import type { Preset } from '$lib/server/db/schema';
import * as repo from '$lib/server/repos/prompts';
import type { PresetParamsDto, ReasoningDto } from '$lib/shared/dto';

/** The provider id under which old chats name a shared preset: "alias/<name>". */
export const ALIAS_PROVIDER_ID = 'alias';
export const MAX_PRESET_MAX_TOKENS = 1_000_000;

export const PresetParams = z.strictObject({
	max_tokens: z.number().int().min(1).max(MAX_PRESET_MAX_TOKENS).optional(),
	top_p: z.number().min(0).max(1).optional()
});

export interface PresetModel {
	name: string;
	/** "provider/model"; null: the home model. */
	model: string | null;
	temperature: number | null;
	reasoning: ReasoningDto | null;
	params: PresetParamsDto;
	systemPrompt: string | null;
}

/** A stored params column; anything unreadable counts as no defaults. */
export function parsePresetParams(json: string): PresetParamsDto {
	try {
		const parsed = PresetParams.safeParse(JSON.parse(json));
		return parsed.success ? parsed.data : {};
	} catch {
		return {};
	}
}

function toPresetModel(row: Preset): PresetModel {
	return {
		name: row.name,
		model: row.model,
		temperature: row.temperature === null ? null : Number(row.temperature),
		reasoning: row.reasoning,
		params: parsePresetParams(row.params),
		systemPrompt: row.system_prompt
	};
}

export async function listPresetModels(db: Executor): Promise<PresetModel[]> {
	return (await repo.listSharedPresets(db)).map(toPresetModel);
}

export async function findPresetModel(db: Executor, name: string): Promise<PresetModel | null> {
	const row = await repo.findSharedPreset(db, name);
	return row ? toPresetModel(row) : null;
}
