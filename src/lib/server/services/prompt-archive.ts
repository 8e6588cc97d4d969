// The prompts and presets in Hearth's own account archive: exported with the user's own and the
// shared ones, imported as the importer's own (never shared, never the default), once.
import type { Database, Executor } from '$lib/server/db/database';
import * as repo from '$lib/server/repos/prompts';
import { parsePresetParams } from '$lib/server/services/preset-models';
import { createPreset, createPrompt, type Actor, type Result } from '$lib/server/services/prompts';
import type { PresetParamsDto, ReasoningDto } from '$lib/shared/dto';

/** The prompts and presets an account archive carries: the user's own and the shared ones. */
export async function exportLibrary(
	db: Executor,
	userId: number
): Promise<{ prompts: ExportedPrompt[]; presets: ExportedPreset[] }> {
	const [prompts, presets] = await Promise.all([
		repo.listPrompts(db, userId),
		repo.listPresets(db, userId)
	]);
	return {
		prompts: prompts.map((p) => ({ command: p.command, title: p.title, text: p.text })),
		presets: presets.map((p) => ({
			name: p.name,
			model: p.model,
			temperature: p.temperature === null ? null : Number(p.temperature),
			reasoning: p.reasoning,
			systemPrompt: p.system_prompt,
			params: parsePresetParams(p.params)
		}))
	};
}

export interface ExportedPrompt {
	command: string;
	title: string;
	text: string;
}
export interface ExportedPreset {
	name: string;
	model: string | null;
	temperature: number | null;
	reasoning: ReasoningDto | null;
	systemPrompt: string | null;
	/** Absent in archives made before presets carried them. */
	params?: PresetParamsDto;
}

/**
 * Adds an archive's prompts and presets as the user's own (never shared, never the default);
 * one whose name the user already has is skipped, so importing twice adds nothing. Returns the
 * entries that were refused, with why.
 */
export async function importLibrary(
	db: Database,
	userId: number,
	library: { prompts: ExportedPrompt[]; presets: ExportedPreset[] },
	now = Date.now()
): Promise<{ added: number; skipped: number; refused: { name: string; message: string }[] }> {
	const actor: Actor = { id: userId, role: 'user' };
	const result = { added: 0, skipped: 0, refused: [] as { name: string; message: string }[] };
	const tally = (name: string, outcome: Result<unknown>) => {
		if (outcome.ok) result.added++;
		else if (outcome.code === 'conflict') result.skipped++;
		else result.refused.push({ name, message: outcome.message });
	};
	for (const p of library.prompts) tally(`/${p.command}`, await createPrompt(db, actor, p, now));
	for (const p of library.presets) {
		const temperature =
			p.temperature !== null && p.temperature >= 0 && p.temperature <= 2 ? p.temperature : null;
		tally(p.name, await createPreset(db, actor, { ...p, temperature }, now));
	}
	return result;
}
