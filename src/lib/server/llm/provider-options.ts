// What every adapter is built from: where it lives, its key (already decrypted, only for the
// origin it was stored for) and the guarded fetch bound to this provider's allowlist.
import type { ProviderKind } from '$lib/server/db/schema';
import type { GuardedFetch } from '$lib/server/net/guarded-fetch';
import { cloudContextWindow } from '$lib/shared/context-windows';

export interface ProviderOptions {
	id: string;
	kind: ProviderKind;
	name: string;
	baseUrl: string;
	apiKey: string | null;
	fetch: GuardedFetch;
	maxConcurrency: number | null;
	/** The admin's override of the model's context window, in tokens. */
	contextWindow?: number | null;
	enabledModels: string[];
}

export const DEFAULT_CLOUD_CONCURRENCY = 4;

/** A cloud model's context window: the admin's override, else the table's (null: unknown). */
export function cloudWindow(options: Pick<ProviderOptions, 'contextWindow'>, model: string) {
	return Promise.resolve(options.contextWindow ?? cloudContextWindow(model));
}
export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 120_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
