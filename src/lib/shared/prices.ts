// Estimated prices of cloud models in US dollars per million tokens (input, output), matched by
// the longest prefix of the model id. Local models cost nothing unless the user sets a rate.
// These are list prices as published by the vendors; they change, so the UI says "estimated".
export interface Price {
	inputPerMillion: number;
	outputPerMillion: number;
}

const PRICES: Record<string, [number, number]> = {
	'gpt-5-nano': [0.05, 0.4],
	'gpt-5-mini': [0.25, 2],
	'gpt-5': [1.25, 10],
	'gpt-4.1-nano': [0.1, 0.4],
	'gpt-4.1-mini': [0.4, 1.6],
	'gpt-4.1': [2, 8],
	'gpt-4o-mini': [0.15, 0.6],
	'gpt-4o': [2.5, 10],
	'gpt-4-turbo': [10, 30],
	'gpt-3.5-turbo': [0.5, 1.5],
	'o4-mini': [1.1, 4.4],
	'o3-mini': [1.1, 4.4],
	o3: [2, 8],
	o1: [15, 60],
	'claude-opus-4': [15, 75],
	'claude-sonnet-4': [3, 15],
	'claude-haiku-4': [1, 5],
	'claude-3-7-sonnet': [3, 15],
	'claude-3-5-sonnet': [3, 15],
	'claude-3-5-haiku': [0.8, 4],
	'claude-3-opus': [15, 75],
	'claude-3-haiku': [0.25, 1.25]
};
const BY_LENGTH = Object.keys(PRICES).sort((a, b) => b.length - a.length);

/** The list price of a cloud model, or null when Hearth does not know it. */
export function cloudPrice(model: string): Price | null {
	const id = model.toLowerCase().replace(/^.*\//, '');
	const key = BY_LENGTH.find((prefix) => id.startsWith(prefix));
	if (!key) return null;
	const [inputPerMillion, outputPerMillion] = PRICES[key]!;
	return { inputPerMillion, outputPerMillion };
}

/** Cost in micro-dollars (millionths of a dollar) of some tokens at a price. */
export function costMicroUsd(price: Price, promptTokens: number, completionTokens: number): number {
	return Math.round(
		promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion
	);
}

/** "$0.0123" — enough digits to see small amounts. */
export function formatUsd(microUsd: number): string {
	const dollars = microUsd / 1_000_000;
	return `$${dollars >= 1 ? dollars.toFixed(2) : dollars >= 0.01 ? dollars.toFixed(3) : dollars.toFixed(4)}`;
}
