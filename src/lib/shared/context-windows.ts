// Context windows of cloud models in tokens, matched like the price table (prices.ts) by the
// longest prefix of the model id. A provider's "context window" setting overrides this; llama.cpp
// reports its own (/props n_ctx). Vendors' model pages, 2026-11-29.
import { priceKey } from '$lib/shared/prices';

const WINDOWS: Record<string, number> = {
	'gpt-5': 400_000,
	'gpt-4.1': 1_047_576,
	'gpt-4o': 128_000,
	'gpt-4-turbo': 128_000,
	'gpt-3.5-turbo': 16_385,
	o4: 200_000,
	o3: 200_000,
	'o1-mini': 128_000,
	o1: 200_000,
	'claude-sonnet-4': 200_000,
	'claude-opus-4': 200_000,
	'claude-haiku-4': 200_000,
	'claude-3': 200_000
};
const BY_LENGTH = Object.keys(WINDOWS).sort((a, b) => b.length - a.length);

/** The table's window for `model`, or null when the table does not know it. */
export function cloudContextWindow(model: string): number | null {
	const id = priceKey(model);
	const key = BY_LENGTH.find((prefix) => id.startsWith(prefix));
	return key ? WINDOWS[key]! : null;
}
