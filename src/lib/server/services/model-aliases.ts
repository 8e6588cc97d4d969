// Model aliases (admin): a familiar model name — "gpt-4o-mini" — standing for a provider's model,
// with default parameters and a system prompt. /v1 clients ask for them by name; the chat's model
// picker lists them as "alias/<name>" and a reply resolves that to the target.
import { z } from 'zod';
import type { Executor } from '$lib/server/db/database';
import { isUniqueViolation } from '$lib/server/db/errors';
import type { ModelAlias } from '$lib/server/db/schema';
import * as repo from '$lib/server/repos/model-aliases';
import { parseModelRef } from '$lib/shared/model-ref';
import type { AliasParamsDto, ModelAliasDto } from '$lib/shared/dto';

/** The provider id under which the chat's model picker lists aliases. */
export const ALIAS_PROVIDER_ID = 'alias';
export const MAX_ALIAS_NAME_CHARS = 100;
export const MAX_ALIAS_SYSTEM_PROMPT_CHARS = 20_000;
const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

export const AliasParams = z.strictObject({
	temperature: z.number().min(0).max(2).optional(),
	max_tokens: z.number().int().min(1).max(1_000_000).optional(),
	top_p: z.number().min(0).max(1).optional()
});

export interface AliasInput {
	name: string;
	target: string;
	params?: AliasParamsDto;
	systemPrompt?: string | null;
}

type Fail<C extends string> = { ok: false; code: C; message: string };

function parseParams(json: string): AliasParamsDto {
	try {
		const parsed = AliasParams.safeParse(JSON.parse(json));
		return parsed.success ? parsed.data : {};
	} catch {
		return {};
	}
}

function toDto(row: ModelAlias): ModelAliasDto {
	return {
		id: Number(row.id),
		name: row.name,
		target: `${row.provider}/${row.model}`,
		params: parseParams(row.params),
		systemPrompt: row.system_prompt
	};
}

export async function listModelAliases(db: Executor): Promise<ModelAliasDto[]> {
	return (await repo.listModelAliases(db)).map(toDto);
}

export async function findModelAlias(db: Executor, name: string): Promise<ModelAliasDto | null> {
	const row = await repo.findModelAlias(db, name);
	return row ? toDto(row) : null;
}

function checked(input: AliasInput) {
	const name = input.name.trim();
	if (name.length > MAX_ALIAS_NAME_CHARS || !ALIAS_NAME.test(name))
		return {
			ok: false as const,
			code: 'invalid' as const,
			message: `name: letters, digits and . _ : - (no "/"), at most ${MAX_ALIAS_NAME_CHARS} characters`
		};
	const target = parseModelRef(input.target.trim());
	if (!target || target.provider === ALIAS_PROVIDER_ID)
		return {
			ok: false as const,
			code: 'invalid' as const,
			message: 'target: expected "provider/model", e.g. "llama/qwen3-4b"'
		};
	const params = AliasParams.safeParse(input.params ?? {});
	if (!params.success)
		return {
			ok: false as const,
			code: 'invalid' as const,
			message: `params: ${params.error.issues[0]?.message}`
		};
	const systemPrompt = input.systemPrompt?.trim() || null;
	if (systemPrompt && systemPrompt.length > MAX_ALIAS_SYSTEM_PROMPT_CHARS)
		return {
			ok: false as const,
			code: 'invalid' as const,
			message: `systemPrompt: at most ${MAX_ALIAS_SYSTEM_PROMPT_CHARS} characters`
		};
	return {
		ok: true as const,
		values: {
			name,
			provider: target.provider,
			model: target.model,
			params: JSON.stringify(params.data),
			system_prompt: systemPrompt
		}
	};
}

const TAKEN = {
	ok: false as const,
	code: 'name_taken' as const,
	message: 'name: an alias by that name exists'
};

export async function createModelAlias(
	db: Executor,
	input: AliasInput,
	now = Date.now()
): Promise<{ ok: true; alias: ModelAliasDto } | Fail<'invalid' | 'name_taken'>> {
	const check = checked(input);
	if (!check.ok) return check;
	try {
		const row = await repo.insertModelAlias(db, {
			...check.values,
			created_at: now,
			updated_at: now
		});
		return { ok: true, alias: toDto(row) };
	} catch (error) {
		if (isUniqueViolation(error)) return TAKEN;
		throw error;
	}
}

export async function updateModelAlias(
	db: Executor,
	id: number,
	input: AliasInput,
	now = Date.now()
): Promise<{ ok: true; alias: ModelAliasDto } | Fail<'invalid' | 'name_taken' | 'not_found'>> {
	const check = checked(input);
	if (!check.ok) return check;
	try {
		const row = await repo.updateModelAlias(db, id, { ...check.values, updated_at: now });
		return row
			? { ok: true, alias: toDto(row) }
			: { ok: false, code: 'not_found', message: 'No such alias' };
	} catch (error) {
		if (isUniqueViolation(error)) return TAKEN;
		throw error;
	}
}

export async function deleteModelAlias(
	db: Executor,
	id: number
): Promise<{ ok: true } | Fail<'not_found'>> {
	return (await repo.deleteModelAlias(db, id))
		? { ok: true }
		: { ok: false, code: 'not_found', message: 'No such alias' };
}
