import type { ProviderRegistry } from '$lib/server/llm/registry';

/** The model a reply uses when neither the request nor the conversation names one. */
export async function defaultModelRef(providers: ProviderRegistry): Promise<string> {
	const lists = await providers.models();
	const first = lists.find((p) => p.list.source === 'live' && p.list.models.length > 0) ?? lists[0];
	return `${first?.id ?? 'llama'}/${first?.list.models[0]?.id ?? 'default'}`;
}
