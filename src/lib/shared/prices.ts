// List prices of cloud models in US dollars per million tokens, matched by the longest prefix of
// the model id; the admin may override any model (server/services/pricing.ts). Checked against the
// vendors' pricing pages on 2026-11-29. Local models cost the user's own rate per million tokens.
export interface Price {
	inputPerMillion: number;
	outputPerMillion: number;
	/** Prompt tokens read from the provider's cache; defaults to the input price. */
	cachedInputPerMillion?: number;
	/** Prompt tokens written to the provider's cache (Anthropic); defaults to the input price. */
	cacheWritePerMillion?: number;
}

/** Token counts as Hearth stores them: cached and cache-write tokens are part of `prompt`. */
export interface TokenCounts {
	prompt: number;
	completion: number;
	cached?: number;
	cacheWrite?: number;
}

// OpenAI: [input, cached input, output]; its cache writes cost the input price.
const OPENAI: Record<string, [number, number, number]> = {
	'gpt-5.1-codex-mini': [0.25, 0.025, 2],
	'gpt-5.1': [1.25, 0.125, 10],
	'gpt-5-pro': [15, 15, 120],
	'gpt-5-nano': [0.05, 0.005, 0.4],
	'gpt-5-mini': [0.25, 0.025, 2],
	'gpt-5': [1.25, 0.125, 10],
	'gpt-4.1-nano': [0.1, 0.025, 0.4],
	'gpt-4.1-mini': [0.4, 0.1, 1.6],
	'gpt-4.1': [2, 0.5, 8],
	'gpt-4o-mini': [0.15, 0.075, 0.6],
	'gpt-4o': [2.5, 1.25, 10],
	'gpt-4-turbo': [10, 10, 30],
	'gpt-3.5-turbo': [0.5, 0.5, 1.5],
	'o4-mini': [1.1, 0.275, 4.4],
	'o3-pro': [20, 20, 80],
	'o3-mini': [1.1, 0.55, 4.4],
	o3: [2, 0.5, 8],
	'o1-mini': [1.1, 0.55, 4.4],
	'o1-pro': [150, 150, 600],
	o1: [15, 7.5, 60]
};
// Anthropic: [input, output]; cache reads cost 0.1× input, 5-minute cache writes 1.25× input.
const ANTHROPIC: Record<string, [number, number]> = {
	'claude-opus-4-5': [5, 25],
	'claude-opus-4-1': [15, 75],
	'claude-opus-4': [15, 75],
	'claude-sonnet-4-5': [3, 15],
	'claude-sonnet-4': [3, 15],
	'claude-haiku-4-5': [1, 5],
	'claude-3-7-sonnet': [3, 15],
	'claude-3-5-sonnet': [3, 15],
	'claude-3-5-haiku': [0.8, 4],
	'claude-3-opus': [15, 75],
	'claude-3-haiku': [0.25, 1.25]
};
const ANTHROPIC_CACHE_READ = 0.1;
const ANTHROPIC_CACHE_WRITE = 1.25;

const PRICES: Record<string, Price> = {
	...Object.fromEntries(
		Object.entries(OPENAI).map(([id, [input, cached, output]]) => [
			id,
			{ inputPerMillion: input, cachedInputPerMillion: cached, outputPerMillion: output }
		])
	),
	...Object.fromEntries(
		Object.entries(ANTHROPIC).map(([id, [input, output]]) => [
			id,
			{
				inputPerMillion: input,
				outputPerMillion: output,
				cachedInputPerMillion: input * ANTHROPIC_CACHE_READ,
				cacheWritePerMillion: input * ANTHROPIC_CACHE_WRITE
			}
		])
	)
};
const BY_LENGTH = Object.keys(PRICES).sort((a, b) => b.length - a.length);

/** A model id as the price tables key it: lower case, without an "org/" prefix. */
export function priceKey(model: string): string {
	return model.toLowerCase().replace(/^.*\//, '');
}

/** The built-in list price of a cloud model, or null when Hearth does not know it. */
export function cloudPrice(model: string): Price | null {
	const id = priceKey(model);
	const key = BY_LENGTH.find((prefix) => id.startsWith(prefix));
	return key ? { ...PRICES[key]! } : null;
}

/** Cost in micro-dollars (millionths of a dollar) of some tokens at a price, as vendors bill. */
export function costMicroUsd(price: Price, tokens: TokenCounts): number {
	const cached = tokens.cached ?? 0;
	const cacheWrite = tokens.cacheWrite ?? 0;
	const fresh = Math.max(0, tokens.prompt - cached - cacheWrite);
	return Math.round(
		fresh * price.inputPerMillion +
			cached * (price.cachedInputPerMillion ?? price.inputPerMillion) +
			cacheWrite * (price.cacheWritePerMillion ?? price.inputPerMillion) +
			tokens.completion * price.outputPerMillion
	);
}

/** "$0.0123" — enough digits to see small amounts. */
export function formatUsd(microUsd: number): string {
	const dollars = microUsd / 1_000_000;
	return `$${dollars >= 1 ? dollars.toFixed(2) : dollars >= 0.01 ? dollars.toFixed(3) : dollars.toFixed(4)}`;
}
