// Saved prompts and presets: a user's own, and the shared ones an admin publishes to everyone
// (user_id null). Anyone reads the shared rows; only an admin creates, changes or deletes them;
// another user's row is "not found". Names are unique per owner and across the shared ones, and
// a prompt's command never shadows a built-in slash command.
import type { SessionUser } from '$lib/server/auth/session';
import type { Database, Executor } from '$lib/server/db/database';
import { isUniqueViolation } from '$lib/server/db/errors';
import type { Preset, SavedPrompt } from '$lib/server/db/schema';
import * as repo from '$lib/server/repos/prompts';
import type { Failure } from '$lib/server/services/accounts';
import {
	ALIAS_PROVIDER_ID,
	parsePresetParams,
	PresetParams
} from '$lib/server/services/preset-models';
import type {
	PresetDto,
	PresetListDto,
	PresetParamsDto,
	PromptDto,
	ReasoningDto
} from '$lib/shared/dto';
import { parseModelRef } from '$lib/shared/model-ref';
import {
	commandProblem,
	MAX_PRESET_NAME_CHARS,
	MAX_PROMPT_TITLE_CHARS,
	templateProblem
} from '$lib/shared/prompt-template';
import { MAX_SYSTEM_PROMPT_CHARS } from '$lib/shared/slash-commands';

export const MAX_PROMPTS_PER_OWNER = 500;
export const MAX_PRESETS_PER_OWNER = 100;
/** The seed's default when an OpenAI provider is configured and nobody chose otherwise. */
export const OPENAI_DEFAULT_MODEL = 'gpt-5.1';
export const OPENAI_DEFAULT_REASONING: ReasoningDto = 'low';

export type Actor = Pick<SessionUser, 'id' | 'role'>;
export type Result<T> =
	{ ok: true; value: T } | Failure<'invalid' | 'not_found' | 'conflict' | 'forbidden'>;

function fail(
	code: 'invalid' | 'not_found' | 'conflict' | 'forbidden',
	message: string
): Failure<typeof code> {
	return { ok: false, code, message };
}

/** A write in a transaction; a name taken by a concurrent write is a conflict, not a 500. */
async function inTransaction<T>(
	db: Database,
	what: string,
	work: (trx: Executor) => Promise<Result<T>>
): Promise<Result<T>> {
	try {
		return await db.transaction().execute(work);
	} catch (error) {
		if (isUniqueViolation(error)) return fail('conflict', `That ${what} name is taken`);
		throw error;
	}
}

const canEdit = (actor: Actor, row: { user_id: number | null }) =>
	row.user_id === null ? actor.role === 'admin' : row.user_id === actor.id;

function promptDto(actor: Actor, row: SavedPrompt): PromptDto {
	return {
		id: row.id,
		command: row.command,
		title: row.title,
		text: row.text,
		shared: row.user_id === null,
		editable: canEdit(actor, row),
		updatedAt: Number(row.updated_at)
	};
}

function presetDto(actor: Actor, row: Preset): PresetDto {
	return {
		id: row.id,
		name: row.name,
		model: row.model,
		temperature: row.temperature === null ? null : Number(row.temperature),
		reasoning: row.reasoning,
		systemPrompt: row.system_prompt,
		params: parsePresetParams(row.params),
		shared: row.user_id === null,
		editable: canEdit(actor, row),
		isDefault: row.is_default === 1 || (row.is_default as unknown) === true,
		updatedAt: Number(row.updated_at)
	};
}

/** The user's prompts and the shared ones; where a command is both, the user's own wins. */
export async function listPrompts(db: Executor, actor: Actor): Promise<PromptDto[]> {
	const rows = await repo.listPrompts(db, actor.id);
	const own = new Set(rows.filter((r) => r.user_id !== null).map((r) => r.command));
	return rows
		.filter((r) => r.user_id !== null || !own.has(r.command))
		.map((r) => promptDto(actor, r));
}

export interface PromptInput {
	command: string;
	title: string;
	text: string;
	/** Publish to everyone (admin only). */
	shared?: boolean;
}

function promptProblem(input: Partial<PromptInput>): string | null {
	if (input.command !== undefined) {
		const problem = commandProblem(input.command);
		if (problem) return problem;
	}
	if (input.title !== undefined) {
		if (!input.title.trim()) return 'Give the prompt a title';
		if (input.title.length > MAX_PROMPT_TITLE_CHARS)
			return `A title is limited to ${MAX_PROMPT_TITLE_CHARS} characters`;
	}
	return input.text === undefined ? null : templateProblem(input.text);
}

async function countOwned(db: Executor, actor: Actor, shared: boolean, table: 'prompt' | 'preset') {
	const rows =
		table === 'prompt'
			? await repo.listPrompts(db, actor.id)
			: await repo.listPresets(db, actor.id);
	return rows.filter((r) => (shared ? r.user_id === null : r.user_id === actor.id)).length;
}

export async function createPrompt(
	db: Database,
	actor: Actor,
	input: PromptInput,
	now = Date.now()
): Promise<Result<PromptDto>> {
	const shared = input.shared === true;
	if (shared && actor.role !== 'admin') return fail('forbidden', 'Only an admin shares prompts');
	const problem = promptProblem(input);
	if (problem) return fail('invalid', problem);
	return inTransaction(db, 'prompt', async (trx) => {
		const owner = shared ? null : actor.id;
		if (await repo.nameTaken(trx, 'saved_prompt', owner, input.command, null))
			return fail('conflict', `You already have a prompt named /${input.command}`);
		if ((await countOwned(trx, actor, shared, 'prompt')) >= MAX_PROMPTS_PER_OWNER)
			return fail('conflict', `At most ${MAX_PROMPTS_PER_OWNER} prompts`);
		const row = await repo.insertPrompt(trx, {
			user_id: owner,
			command: input.command,
			title: input.title.trim(),
			text: input.text,
			created_at: now,
			updated_at: now
		});
		return { ok: true as const, value: promptDto(actor, row) };
	});
}

/** The row if the actor may change it; another user's row is not found, a shared one forbidden. */
async function editable<T extends { user_id: number | null }>(
	actor: Actor,
	row: T | undefined,
	what: string
): Promise<{ ok: true; value: T } | Failure<'not_found' | 'forbidden'>> {
	if (!row) return fail('not_found', `No such ${what}`) as Failure<'not_found'>;
	if (!canEdit(actor, row))
		return fail('forbidden', `Only an admin changes a shared ${what}`) as Failure<'forbidden'>;
	return { ok: true, value: row };
}

export async function updatePrompt(
	db: Database,
	actor: Actor,
	id: number,
	patch: Partial<Omit<PromptInput, 'shared'>>,
	now = Date.now()
): Promise<Result<PromptDto>> {
	const problem = promptProblem(patch);
	if (problem) return fail('invalid', problem);
	return inTransaction(db, 'prompt', async (trx) => {
		const found = await editable(actor, await repo.findVisiblePrompt(trx, actor.id, id), 'prompt');
		if (!found.ok) return found;
		const row = found.value;
		if (
			patch.command !== undefined &&
			(await repo.nameTaken(trx, 'saved_prompt', row.user_id, patch.command, id))
		)
			return fail('conflict', `A prompt named /${patch.command} already exists`);
		const updated = await repo.updatePrompt(trx, id, {
			...(patch.command !== undefined ? { command: patch.command } : {}),
			...(patch.title !== undefined ? { title: patch.title.trim() } : {}),
			...(patch.text !== undefined ? { text: patch.text } : {}),
			updated_at: now
		});
		return { ok: true as const, value: promptDto(actor, updated) };
	});
}

export async function deletePrompt(
	db: Database,
	actor: Actor,
	id: number
): Promise<{ ok: true } | Failure<'not_found' | 'forbidden'>> {
	return db.transaction().execute(async (trx) => {
		const found = await editable(actor, await repo.findVisiblePrompt(trx, actor.id, id), 'prompt');
		if (!found.ok) return found;
		await repo.deleteRow(trx, 'saved_prompt', id);
		return { ok: true as const };
	});
}

// Presets

export interface PresetInput {
	name: string;
	model?: string | null;
	temperature?: number | null;
	reasoning?: ReasoningDto | null;
	systemPrompt?: string | null;
	/** Other default request parameters (max_tokens, top_p), as /v1 names them. */
	params?: PresetParamsDto;
	/** Make it the user's default (for a shared one: everyone's, unless they chose their own). */
	isDefault?: boolean;
	shared?: boolean;
}

/** What is wrong with a preset's fields; `shared`: its name is a /v1 model name, so no "/". */
function presetProblem(input: Partial<PresetInput>, shared: boolean): string | null {
	if (input.name !== undefined) {
		if (!input.name.trim()) return 'Give the preset a name';
		if (input.name.length > MAX_PRESET_NAME_CHARS)
			return `A preset name is limited to ${MAX_PRESET_NAME_CHARS} characters`;
		if (shared && input.name.includes('/'))
			return 'A shared preset is also a model name for the API: no "/" in its name';
	}
	if (input.model !== undefined && input.model !== null) {
		const ref = parseModelRef(input.model);
		if (!ref || ref.provider === ALIAS_PROVIDER_ID)
			return 'model: expected "provider/model", e.g. "llama/qwen3-4b"';
	}
	if (
		input.temperature !== undefined &&
		input.temperature !== null &&
		!(input.temperature >= 0 && input.temperature <= 2)
	)
		return 'temperature: between 0 and 2';
	if (input.params !== undefined) {
		const params = PresetParams.safeParse(input.params);
		if (!params.success)
			return `params.${String(params.error.issues[0]?.path[0] ?? '')}: ${params.error.issues[0]?.message}`;
	}
	if ((input.systemPrompt?.length ?? 0) > MAX_SYSTEM_PROMPT_CHARS)
		return `A system prompt is limited to ${MAX_SYSTEM_PROMPT_CHARS} characters`;
	return null;
}

/** What a new chat starts from when neither the user nor the admin chose a default preset. */
export function builtInDefaultPreset(
	providers: readonly { id: string; kind: string }[]
): PresetDto {
	const openai = providers.find((p) => p.kind === 'openai');
	return {
		id: 0,
		name: openai ? 'GPT-5.1' : 'Home model',
		// null: the home model, the one a reply uses when nothing names another.
		model: openai ? `${openai.id}/${OPENAI_DEFAULT_MODEL}` : null,
		temperature: null,
		reasoning: openai ? OPENAI_DEFAULT_REASONING : null,
		systemPrompt: null,
		params: {},
		shared: true,
		editable: false,
		isDefault: true,
		updatedAt: 0
	};
}

/**
 * The user's presets and the shared ones (their own wins a name both use), and their default:
 * their own default preset, else the admin's shared default, else the built-in one.
 */
export async function listPresets(
	db: Executor,
	actor: Actor,
	providers: readonly { id: string; kind: string }[]
): Promise<PresetListDto> {
	const rows = await repo.listPresets(db, actor.id);
	const own = new Set(rows.filter((r) => r.user_id !== null).map((r) => r.name));
	const presets = rows
		.filter((r) => r.user_id !== null || !own.has(r.name))
		.map((r) => presetDto(actor, r));
	const defaultPreset =
		presets.find((p) => p.isDefault && !p.shared) ??
		presets.find((p) => p.isDefault && p.shared) ??
		builtInDefaultPreset(providers);
	return { presets, defaultPreset };
}

export async function createPreset(
	db: Database,
	actor: Actor,
	input: PresetInput,
	now = Date.now()
): Promise<Result<PresetDto>> {
	const shared = input.shared === true;
	if (shared && actor.role !== 'admin') return fail('forbidden', 'Only an admin shares presets');
	const problem = presetProblem(input, shared);
	if (problem) return fail('invalid', problem);
	const name = input.name.trim();
	return inTransaction(db, 'preset', async (trx) => {
		const owner = shared ? null : actor.id;
		if (await repo.nameTaken(trx, 'preset', owner, name, null))
			return fail('conflict', `A preset named "${name}" already exists`);
		if ((await countOwned(trx, actor, shared, 'preset')) >= MAX_PRESETS_PER_OWNER)
			return fail('conflict', `At most ${MAX_PRESETS_PER_OWNER} presets`);
		if (input.isDefault) await repo.clearDefaultPreset(trx, owner);
		const row = await repo.insertPreset(trx, {
			user_id: owner,
			name,
			model: input.model ?? null,
			temperature: input.temperature ?? null,
			reasoning: input.reasoning ?? null,
			system_prompt: input.systemPrompt?.trim() || null,
			params: JSON.stringify(input.params ?? {}),
			is_default: input.isDefault ? 1 : 0,
			created_at: now,
			updated_at: now
		});
		return { ok: true as const, value: presetDto(actor, row) };
	});
}

export async function updatePreset(
	db: Database,
	actor: Actor,
	id: number,
	patch: Partial<Omit<PresetInput, 'shared'>>,
	now = Date.now()
): Promise<Result<PresetDto>> {
	return inTransaction(db, 'preset', async (trx) => {
		const found = await editable(actor, await repo.findVisiblePreset(trx, actor.id, id), 'preset');
		if (!found.ok) return found;
		const row = found.value;
		const problem = presetProblem(patch, row.user_id === null);
		if (problem) return fail('invalid', problem);
		const name = patch.name?.trim();
		if (name !== undefined && (await repo.nameTaken(trx, 'preset', row.user_id, name, id)))
			return fail('conflict', `A preset named "${name}" already exists`);
		if (patch.isDefault) await repo.clearDefaultPreset(trx, row.user_id);
		const updated = await repo.updatePreset(trx, id, {
			...(name !== undefined ? { name } : {}),
			...(patch.model !== undefined ? { model: patch.model } : {}),
			...(patch.temperature !== undefined ? { temperature: patch.temperature } : {}),
			...(patch.reasoning !== undefined ? { reasoning: patch.reasoning } : {}),
			...(patch.systemPrompt !== undefined
				? { system_prompt: patch.systemPrompt?.trim() || null }
				: {}),
			...(patch.params !== undefined ? { params: JSON.stringify(patch.params) } : {}),
			...(patch.isDefault !== undefined ? { is_default: patch.isDefault ? 1 : 0 } : {}),
			updated_at: now
		});
		return { ok: true as const, value: presetDto(actor, updated) };
	});
}

export async function deletePreset(
	db: Database,
	actor: Actor,
	id: number
): Promise<{ ok: true } | Failure<'not_found' | 'forbidden'>> {
	return db.transaction().execute(async (trx) => {
		const found = await editable(actor, await repo.findVisiblePreset(trx, actor.id, id), 'preset');
		if (!found.ok) return found;
		await repo.deleteRow(trx, 'preset', id);
		return { ok: true as const };
	});
}
