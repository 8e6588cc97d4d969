// Token counts for fitting a prompt into the model's context window: the model's own tokenizer
// where the provider has one (llama.cpp /tokenize), else an estimate from the UTF-8 size. Counts
// are cached per provider, model and content hash, so a long chat is counted once per message,
// not again every turn.
import { createHash } from 'node:crypto';
import type { Provider } from '$lib/server/llm/types';

/**
 * The estimate where no tokenizer answers: UTF-8 bytes / 4. About 4 characters per token for
 * English with BPE tokenizers; counting bytes rather than characters keeps it from undercounting
 * scripts (CJK, emoji) that take a token or more per character.
 */
export const BYTES_PER_TOKEN_ESTIMATE = 4;
/** Role markers and separators a chat template adds around each message. */
export const MESSAGE_OVERHEAD_TOKENS = 8;
const CACHE_ENTRIES = 5_000;
/** Tokenize requests in flight at once for one prompt (llama.cpp answers them between slots). */
const CONCURRENT_COUNTS = 4;
const COUNT_TIMEOUT_MS = 5_000;

export function estimateTokenCount(text: string): number {
	return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN_ESTIMATE);
}

export class TokenCounter {
	/** Insertion-ordered: re-inserting on a hit keeps the most recently used last (an LRU). */
	private readonly cache = new Map<string, number>();
	/** How many texts went to a tokenizer (for tests and metrics). */
	tokenized = 0;

	constructor(private readonly maxEntries = CACHE_ENTRIES) {}

	private key(provider: Pick<Provider, 'id'>, model: string, text: string) {
		return createHash('sha256').update(`${provider.id}\0${model}\0`).update(text).digest('base64');
	}

	private remember(key: string, tokens: number) {
		this.cache.delete(key);
		this.cache.set(key, tokens);
		if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
	}

	/** The tokens of each text, in order; texts seen before come from the cache. */
	async count(
		provider: Pick<Provider, 'id' | 'countTokens'>,
		model: string,
		texts: readonly string[]
	): Promise<number[]> {
		const counts = new Array<number>(texts.length).fill(0);
		const missing: { index: number; key: string }[] = [];
		texts.forEach((text, index) => {
			if (!text) return;
			const key = this.key(provider, model, text);
			const known = this.cache.get(key);
			if (known === undefined) missing.push({ index, key });
			else {
				counts[index] = known;
				this.remember(key, known);
			}
		});
		const tokenize = provider.countTokens?.bind(provider);
		let next = 0;
		const worker = async () => {
			while (next < missing.length) {
				const { index, key } = missing[next++]!;
				const text = texts[index]!;
				const counted = tokenize
					? await tokenize(text, AbortSignal.timeout(COUNT_TIMEOUT_MS)).catch(() => null)
					: null;
				if (counted !== null) this.tokenized++;
				counts[index] = counted ?? estimateTokenCount(text);
				// An estimate for a provider that has a tokenizer (it failed) is not kept.
				if (counted !== null || !tokenize) this.remember(key, counts[index]);
			}
		};
		await Promise.all(Array.from({ length: Math.min(CONCURRENT_COUNTS, missing.length) }, worker));
		return counts;
	}
}

/** The process's counter (counts depend only on provider, model and text). */
export const tokenCounter = new TokenCounter();
