import type { Executor } from '$lib/server/db/database';
import type { ProviderModels, ProviderRegistry } from '$lib/server/llm/registry';
import { cloudModelSeesImages } from '$lib/server/llm/vision';
import { getSetting } from '$lib/server/repos/settings';

/** The admin's choice for new chats (Admin → Local models), while a provider still lists it. */
export async function chosenDefaultModel(
	db: Executor,
	lists: ProviderModels[]
): Promise<string | null> {
	const ref = await getSetting(db, 'default_model');
	if (!ref) return null;
	const slash = ref.indexOf('/');
	const listed = lists.some(
		(p) => p.id === ref.slice(0, slash) && p.list.models.some((m) => m.id === ref.slice(slash + 1))
	);
	return listed ? ref : null;
}

/** The model a reply uses when neither the request nor the conversation names one. */
export async function defaultModelRef(providers: ProviderRegistry, db?: Executor): Promise<string> {
	const lists = await providers.models();
	const chosen = db ? await chosenDefaultModel(db, lists) : null;
	if (chosen) return chosen;
	const first = lists.find((p) => p.list.source === 'live' && p.list.models.length > 0) ?? lists[0];
	return `${first?.id ?? 'llama'}/${first?.list.models[0]?.id ?? 'default'}`;
}

/** Whether `ref`'s model takes images: llama.cpp as its /props say, cloud models by name. */
export async function modelSeesImages(
	providers: ProviderRegistry,
	ref: { provider: string; model: string }
): Promise<boolean> {
	const entry = (await providers.models()).find((p) => p.id === ref.provider);
	if (!entry) return false;
	const listed = entry.list.models.find((m) => m.id === ref.model);
	if (listed?.vision !== undefined) return listed.vision;
	// llama.cpp serves one model whatever the request names it.
	if (entry.kind === 'llamacpp') return entry.list.models.some((m) => m.vision);
	return cloudModelSeesImages(entry.kind, ref.model);
}
