// The models a /v1 request may name: the shared presets (aliases with their defaults and system
// prompt) and every provider's models as "provider/model".
import { openAiReasoningEffort } from '$lib/server/llm/openai';
import type { Provider } from '$lib/server/llm/types';
import { defaultModelRef } from '$lib/server/services/models';
import {
	ALIAS_PROVIDER_ID,
	findPresetModel,
	listPresetModels,
	type PresetModel
} from '$lib/server/services/preset-models';
import type { V1Deps } from '$lib/server/services/v1-admission';
import { parseModelRef } from '$lib/shared/model-ref';

/** `/v1/models`: the shared presets, then every provider's models as "provider/model". */
export async function listV1Models(deps: V1Deps): Promise<{ id: string; owned_by: string }[]> {
	const aliases = (await listPresetModels(deps.db)).map((a) => ({
		id: a.name,
		owned_by: 'hearth'
	}));
	const models = (await deps.providers.models()).flatMap((p) =>
		p.list.models.map((m) => ({ id: `${p.id}/${m.id}`, owned_by: p.name }))
	);
	return [...aliases, ...models];
}

export interface ResolvedModel {
	provider: Provider;
	/** The provider's own model id. */
	model: string;
	/** Request fields a shared preset fills when the request leaves them out. */
	defaults: {
		temperature?: number;
		max_tokens?: number;
		top_p?: number;
		reasoning_effort?: string;
	};
	systemPrompt: string | null;
}

/** A shared preset's defaults as request fields; its reasoning level only where OpenAI takes it. */
function presetDefaults(
	preset: PresetModel,
	provider: Provider,
	model: string
): ResolvedModel['defaults'] {
	const effort = provider.kind === 'openai' ? openAiReasoningEffort(model, preset.reasoning) : null;
	return {
		...(preset.temperature !== null ? { temperature: preset.temperature } : {}),
		...preset.params,
		...(effort ? { reasoning_effort: effort } : {})
	};
}

/**
 * A shared preset by name (its model, or the home model when it names none), else a
 * "provider/model" the provider lists (any model if its list is down).
 */
export async function resolveV1Model(deps: V1Deps, name: string): Promise<ResolvedModel | null> {
	const alias = await findPresetModel(deps.db, name);
	const ref = alias
		? parseModelRef(alias.model ?? (await defaultModelRef(deps.providers, deps.db)))
		: parseModelRef(name);
	if (!ref || ref.provider === ALIAS_PROVIDER_ID) return null;
	const provider = await deps.providers.get(ref.provider);
	if (!provider) return null;
	if (!alias) {
		const listed = (await deps.providers.models()).find((p) => p.id === ref.provider);
		if (listed?.list.source === 'live' && !listed.list.models.some((m) => m.id === ref.model))
			return null;
	}
	return {
		provider,
		model: ref.model,
		defaults: alias ? presetDefaults(alias, provider, ref.model) : {},
		systemPrompt: alias?.systemPrompt ?? null
	};
}
