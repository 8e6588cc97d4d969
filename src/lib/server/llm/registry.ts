// Builds a live Provider for each configured record, each with its own guarded fetch (only its own
// origin may be internal, and only when allowed) and its own concurrency gate (fair between users).
import { createAnthropicProvider } from '$lib/server/llm/anthropic';
import { guardProvider, MAX_OUTPUT_CHARS } from '$lib/server/llm/guard';
import { FairGate, type GateKey } from '$lib/server/llm/concurrency';
import { createLlamaCppProvider } from '$lib/server/llm/llamacpp';
import { createOpenAiProvider } from '$lib/server/llm/openai';
import {
	DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
	DEFAULT_IDLE_TIMEOUT_MS,
	type ProviderOptions
} from '$lib/server/llm/provider-options';
import type { ModelList, Provider, ProviderKind, ProviderRecord } from '$lib/server/llm/types';
import { createGuardedFetch } from '$lib/server/net/guarded-fetch';

export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
export const MAX_UPSTREAM_DURATION_MS = 30 * 60_000;
const MODEL_LIST_TIMEOUT_MS = 10_000;
const MODEL_LIST_TTL_MS = 60_000;

export interface Timeouts {
	firstTokenTimeoutMs: number;
	idleTimeoutMs: number;
}

/** One adapter per provider kind: a new kind is one entry here (and its file). */
const PROVIDER_ADAPTERS: Record<ProviderKind, (options: ProviderOptions) => Provider> = {
	llamacpp: createLlamaCppProvider,
	anthropic: createAnthropicProvider,
	openai: createOpenAiProvider,
	openai_compatible: createOpenAiProvider
};

export function buildProvider(
	record: ProviderRecord,
	timeouts: Timeouts = {
		firstTokenTimeoutMs: DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
		idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS
	}
): Provider {
	const origin = new URL(record.baseUrl).origin;
	const options: ProviderOptions = {
		...record,
		fetch: createGuardedFetch({
			allowedInternalOrigins: new Set(record.allowInternal ? [origin] : []),
			maxResponseBytes: MAX_RESPONSE_BYTES,
			timeoutMs: MAX_UPSTREAM_DURATION_MS
		})
	};
	return guardProvider(PROVIDER_ADAPTERS[record.kind](options), {
		...timeouts,
		maxOutputChars: MAX_OUTPUT_CHARS
	});
}

export interface ProviderModels {
	id: string;
	name: string;
	kind: Provider['kind'];
	list: ModelList;
}

export class ProviderRegistry {
	private providers: Map<string, Provider> | null = null;
	private readonly gates = new Map<string, FairGate>();
	private modelCache: { at: number; value: Promise<ProviderModels[]> } | null = null;

	constructor(
		private readonly load: () => Promise<ProviderRecord[]>,
		private readonly timeouts?: Timeouts
	) {}

	/** Drop built providers (after the admin changed settings); gates keep their waiters. */
	invalidate() {
		this.providers = null;
		this.modelCache = null;
	}

	private async all(): Promise<Map<string, Provider>> {
		if (!this.providers) {
			const records = await this.load();
			this.providers = new Map(records.map((r) => [r.id, buildProvider(r, this.timeouts)]));
		}
		return this.providers;
	}

	async get(id: string): Promise<Provider | undefined> {
		return (await this.all()).get(id);
	}

	async list(): Promise<Provider[]> {
		return [...(await this.all()).values()];
	}

	private async gate(provider: Provider): Promise<FairGate> {
		const limit = await provider.concurrency();
		let gate = this.gates.get(provider.id);
		if (!gate) {
			gate = new FairGate(limit);
			this.gates.set(provider.id, gate);
		} else gate.setLimit(limit);
		return gate;
	}

	/**
	 * Waits for a slot on the provider in `key`'s (the user's) fair turn — chat jobs and /v1
	 * requests alike; resolves to a release function.
	 */
	async acquire(provider: Provider, key: GateKey, signal?: AbortSignal): Promise<() => void> {
		return (await this.gate(provider)).acquire(key, signal);
	}

	/** A slot on the provider now if one is free and nobody waits for one; else null. */
	async tryAcquire(provider: Provider, key: GateKey): Promise<(() => void) | null> {
		return (await this.gate(provider)).tryAcquire(key);
	}

	/** Each gate's slots in use and waiters (chat jobs and /v1 requests), for metrics. */
	gateCounts(): { provider: string; running: number; waiting: number }[] {
		return [...this.gates].map(([provider, gate]) => ({
			provider,
			running: gate.running,
			waiting: gate.waiting
		}));
	}

	/** Every provider's model list (live, or fallback marked as such), cached for a minute. */
	models(): Promise<ProviderModels[]> {
		if (this.modelCache && Date.now() - this.modelCache.at < MODEL_LIST_TTL_MS)
			return this.modelCache.value;
		const value = this.list().then((providers) =>
			Promise.all(
				providers.map(async (p) => ({
					id: p.id,
					name: p.name,
					kind: p.kind,
					list: await p.listModels(AbortSignal.timeout(MODEL_LIST_TIMEOUT_MS))
				}))
			)
		);
		this.modelCache = { at: Date.now(), value };
		return value;
	}
}
