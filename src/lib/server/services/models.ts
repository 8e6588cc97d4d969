import type { ProviderRegistry } from '$lib/server/llm/registry';
import { cloudModelSeesImages } from '$lib/server/llm/vision';

/** The model a reply uses when neither the request nor the conversation names one. */
export async function defaultModelRef(providers: ProviderRegistry): Promise<string> {
	const lists = await providers.models();
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
