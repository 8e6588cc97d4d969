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
/**
 * Role markers and separators a chat template adds around each message, where the provider
 * cannot render its template (cloud APIs): a typical template's few tokens, rounded up.
 */
export const MESSAGE_OVERHEAD_TOKENS = 8;
/** Added to a measured per-message overhead: text tokenized alone can merge differently in place. */
export const MESSAGE_MARGIN_TOKENS = 2;
/** What Hearth renders to measure a chat template (llama.cpp): one turn, then three. */
const PROBE = { question: 'hello', answer: 'world' };
const CACHE_ENTRIES = 5_000;
/** Tokenize requests in flight at once for one prompt (llama.cpp answers them between slots). */
const CONCURRENT_COUNTS = 4;
const COUNT_TIMEOUT_MS = 5_000;

/**
 * At most this many tokens for `text` by any real tokenizer: each token stands for at least one
 * byte of the text (byte-level BPE, SentencePiece with byte fallback), plus one for the space
 * some tokenizers put before the text. Where this fits, no tokenizer need be asked.
 */
export function tokenUpperBound(text: string): number {
	return text ? Buffer.byteLength(text, 'utf8') + 1 : 0;
}

export function estimateTokenCount(text: string): number {
	return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN_ESTIMATE);
}

/** What a chat template adds: per message, and once per prompt (BOS, the reply's header). */
export interface TemplateOverhead {
	perMessage: number;
	base: number;
}

export class TokenCounter {
	private readonly overheads = new Map<string, TemplateOverhead>();
	/** Insertion-ordered: re-inserting on a hit keeps the most recently used last (an LRU). */
	private readonly cache = new Map<string, number>();
	/** Tokenizer requests in flight, by cache key: a second count of the same text joins one. */
	private readonly inflight = new Map<string, Promise<number | null>>();
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

	/**
	 * The template's overhead for `model`, measured once by rendering a one-turn and a three-turn
	 * conversation where the provider can (llama.cpp), else the documented allowance.
	 */
	async overhead(
		provider: Pick<Provider, 'id' | 'countTokens' | 'countPrompt'>,
		model: string
	): Promise<TemplateOverhead> {
		const key = `${provider.id}\0${model}`;
		const known = this.overheads.get(key);
		if (known) return known;
		const fallback = { perMessage: MESSAGE_OVERHEAD_TOKENS, base: 0 };
		if (!provider.countPrompt) return fallback;
		const signal = AbortSignal.timeout(COUNT_TIMEOUT_MS);
		const user = { role: 'user' as const, content: PROBE.question };
		const [one, three, [question, answer]] = await Promise.all([
			provider.countPrompt([user], signal).catch(() => null),
			provider
				.countPrompt([user, { role: 'assistant', content: PROBE.answer }, user], signal)
				.catch(() => null),
			this.count(provider, model, [PROBE.question, PROBE.answer])
		]);
		if (one === null || three === null) return fallback;
		const perMessage = Math.max(0, Math.ceil((three - one - question! - answer!) / 2));
		const measured = {
			perMessage: perMessage + MESSAGE_MARGIN_TOKENS,
			base: Math.max(0, one - question! - perMessage)
		};
		if (this.overheads.size > CACHE_ENTRIES) this.overheads.clear();
		this.overheads.set(key, measured);
		return measured;
	}

	/** The tokens of each text, in order; texts seen before come from the cache. */
	count(
		provider: Pick<Provider, 'id' | 'countTokens'>,
		model: string,
		texts: readonly string[]
	): Promise<number[]> {
		return this.countSoon(provider, model, texts).all;
	}

	/**
	 * The counts known now (from the cache; undefined: not yet) and all of them once the rest are
	 * counted — asked for at once, so a caller can go on while they are.
	 */
	countSoon(
		provider: Pick<Provider, 'id' | 'countTokens'>,
		model: string,
		texts: readonly string[]
	): { known: (number | undefined)[]; all: Promise<number[]> } {
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
		const cached: (number | undefined)[] = [...counts];
		for (const { index } of missing) cached[index] = undefined;
		const tokenize = provider.countTokens?.bind(provider);
		let next = 0;
		const worker = async () => {
			while (next < missing.length) {
				const { index, key } = missing[next++]!;
				const text = texts[index]!;
				const counted = tokenize
					? await this.tokenizeOnce(key, () =>
							tokenize(text, AbortSignal.timeout(COUNT_TIMEOUT_MS))
						)
					: null;
				counts[index] = counted ?? estimateTokenCount(text);
				// An estimate for a provider that has a tokenizer (it failed) is not kept.
				if (counted !== null || !tokenize) this.remember(key, counts[index]);
			}
		};
		const all = Promise.all(
			Array.from({ length: Math.min(CONCURRENT_COUNTS, missing.length) }, worker)
		).then(() => counts);
		return { known: cached, all };
	}

	private tokenizeOnce(
		key: string,
		tokenize: () => Promise<number | null>
	): Promise<number | null> {
		let pending = this.inflight.get(key);
		if (!pending) {
			pending = tokenize()
				.then((n) => {
					if (n !== null) this.tokenized++;
					return n;
				})
				.catch(() => null)
				.finally(() => this.inflight.delete(key));
			this.inflight.set(key, pending);
		}
		return pending;
	}
}

/** The process's counter (counts depend only on provider, model and text). */
export const tokenCounter = new TokenCounter();
