// A guard model: any configured provider/model (or alias) asked to classify a conversation, the
// way Llama Guard answers — `safe`, or `unsafe` and a line of categories (`S1,S10`). The turns go
// as chat messages and the model's own chat template builds the classifier prompt (Llama Guard's
// GGUF carries it); an alias's system prompt can turn an ordinary model into a classifier. The call
// takes a slot on the provider's fair gate like any reply, is bounded by GUARD_TIMEOUT_MS (gate wait
// included), and its usage is recorded against the user whose text it judged.
import type { Executor } from '$lib/server/db/database';
import { estimateTokens } from '$lib/server/llm/guard';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import type { ChatMessage } from '$lib/server/llm/types';
import { ALIAS_PROVIDER_ID, findModelAlias } from '$lib/server/services/model-aliases';
import { recordUsage, type RecordedUsage } from '$lib/server/services/pricing';
import { parseModelRef } from '$lib/shared/model-ref';

/** The longest a guard verdict may take, waiting for a slot included. */
export const GUARD_TIMEOUT_MS = 20_000;
/** `unsafe\nS1,S2,…` fits easily; a rambling model is cut short. */
export const GUARD_MAX_TOKENS = 24;
/** The answer is read from at most this many characters. */
const GUARD_MAX_ANSWER_CHARS = 400;

export type GuardVerdict =
	| { verdict: 'safe' }
	| { verdict: 'unsafe'; categories: string[] }
	/** No verdict: the model is missing, failed, timed out or answered something else. */
	| { verdict: 'none'; reason: string };

export interface GuardContext {
	db: Executor;
	providers: ProviderRegistry;
	/** Whose text is judged: the gate's fairness key and the usage's owner. */
	userId: number;
	source: 'chat' | 'api';
	timeoutMs?: number;
	now?: () => number;
}

/** Llama Guard's answer: `safe`, or `unsafe` with categories on the next line; null otherwise. */
export function parseGuardAnswer(answer: string): GuardVerdict | null {
	const lines = answer
		.trim()
		.split('\n')
		.map((l) => l.trim())
		.filter(Boolean);
	const first = lines[0]?.toLowerCase().replace(/[.!]$/, '');
	if (first === 'safe') return { verdict: 'safe' };
	if (first !== 'unsafe') return null;
	const categories = (lines[1] ?? '')
		.split(/[,\s]+/)
		.map((c) => c.trim().toUpperCase())
		.filter((c) => /^S\d{1,2}$/.test(c));
	return { verdict: 'unsafe', categories };
}

/** Asks the guard model named by `target` ("provider/model" or an alias) about `turns`. */
export async function askGuardModel(
	ctx: GuardContext,
	target: string,
	turns: ChatMessage[]
): Promise<GuardVerdict> {
	const alias = await findModelAlias(ctx.db, target);
	const ref = parseModelRef(alias ? alias.target : target);
	if (!ref || ref.provider === ALIAS_PROVIDER_ID)
		return { verdict: 'none', reason: `no such guard model: ${target}` };
	const provider = await ctx.providers.get(ref.provider);
	if (!provider) return { verdict: 'none', reason: `no such provider: ${ref.provider}` };
	const messages: ChatMessage[] = alias?.systemPrompt
		? [{ role: 'system', content: alias.systemPrompt }, ...turns]
		: turns;
	const signal = AbortSignal.timeout(ctx.timeoutMs ?? GUARD_TIMEOUT_MS);
	let release: () => void;
	try {
		release = await ctx.providers.acquire(provider, ctx.userId, signal);
	} catch {
		return { verdict: 'none', reason: 'timed out waiting for a free slot' };
	}
	let answer = '';
	let usage: RecordedUsage | null = null;
	let failure: string | null = null;
	try {
		for await (const event of provider.streamChat(
			{ model: ref.model, messages, temperature: 0, maxTokens: GUARD_MAX_TOKENS },
			signal
		)) {
			if (event.type === 'text') {
				answer += event.text;
				if (answer.length > GUARD_MAX_ANSWER_CHARS) break;
			} else if (event.type === 'usage')
				usage = {
					promptTokens: event.promptTokens,
					completionTokens: event.completionTokens,
					cachedTokens: event.cachedTokens,
					estimated: event.estimated
				};
			else if (event.type === 'error') {
				failure = event.error.message;
				break;
			}
		}
	} catch (error) {
		failure = error instanceof Error ? error.message : 'the guard model failed';
	} finally {
		release();
	}
	if (signal.aborted && !failure) failure = 'timed out';
	await recordUsage(
		ctx.db,
		{
			userId: ctx.userId,
			conversationId: null,
			messageId: null,
			jobId: null,
			provider: provider.id,
			model: ref.model,
			source: ctx.source
		},
		{
			...(usage ?? {
				promptTokens: estimateTokens(messages.reduce((n, m) => n + m.content.length, 0)),
				completionTokens: estimateTokens(answer.length),
				estimated: true
			}),
			local: provider.kind === 'llamacpp'
		},
		(ctx.now ?? Date.now)()
	);
	if (failure) return { verdict: 'none', reason: signal.aborted ? 'timed out' : failure };
	return (
		parseGuardAnswer(answer.slice(0, GUARD_MAX_ANSWER_CHARS)) ?? {
			verdict: 'none',
			reason: 'unparseable answer'
		}
	);
}
