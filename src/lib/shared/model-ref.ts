// The "provider/model" reference a conversation stores, and what a person reads for it: the
// provider's display name and the model, never an internal provider id like "p5".

export interface ModelRef {
	provider: string;
	model: string;
}

export function parseModelRef(ref: string): ModelRef | null {
	const slash = ref.indexOf('/');
	if (slash <= 0 || slash === ref.length - 1) return null;
	return { provider: ref.slice(0, slash), model: ref.slice(slash + 1) };
}

/** "OpenRouter · gpt-4o" for "p5/gpt-4o"; just the model when its provider is unknown here. */
export function modelLabel(
	ref: string,
	providers: readonly { id: string; name: string }[]
): string {
	const parsed = parseModelRef(ref);
	if (!parsed) return ref;
	const provider = providers.find((p) => p.id === parsed.provider);
	return provider ? `${provider.name} · ${parsed.model}` : parsed.model;
}
