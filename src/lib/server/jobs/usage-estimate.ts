// Tokens of a reply that ended before its provider reported usage (stopped, failed, interrupted,
// or a server that never sends a usage chunk): counted with the model's own tokenizer where the
// provider has one (llama.cpp /tokenize), else from the text's length; always marked estimated.
// Also a job's last checkpoint as its outcome (recovery, cancel, a crashed run).
import type { Logger } from 'pino';
import type { Database } from '$lib/server/db/database';
import type { Job } from '$lib/server/db/schema';
import type { Produced } from '$lib/server/jobs/finish';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import type { ChatMessage, Provider } from '$lib/server/llm/types';
import { findMessage } from '$lib/server/repos/messages';
import type { JobParams } from '$lib/server/services/chat';
import { promptFor } from '$lib/server/services/prompt';

/** A common rule of thumb for English text with BPE tokenizers. */
export const CHARS_PER_TOKEN = 4;
const COUNT_TIMEOUT_MS = 5_000;

type Usage = NonNullable<Produced['usage']>;

async function count(provider: Provider | undefined, text: string): Promise<number> {
	if (!text) return 0;
	const counted = await provider
		?.countTokens?.(text, AbortSignal.timeout(COUNT_TIMEOUT_MS))
		.catch(() => null);
	return counted ?? Math.ceil(text.length / CHARS_PER_TOKEN);
}

export async function estimateUsage(
	provider: Provider | undefined,
	prompt: ChatMessage[],
	produced: Pick<Produced, 'text' | 'reasoning'>
): Promise<Usage> {
	const [promptTokens, completionTokens] = await Promise.all([
		count(provider, prompt.map((m) => m.content).join('\n')),
		count(provider, produced.reasoning + produced.text)
	]);
	return { promptTokens, completionTokens, estimated: true, local: provider?.kind === 'llamacpp' };
}

/** How an interrupted reply's tokens are counted: by the model server's tokenizer, or from length. */
export type TokenCount = 'provider' | 'length';

/** A job's last checkpoint as its outcome, with its tokens counted (nothing was reported). */
export async function fromCheckpoint(
	deps: { db: Database; providers: ProviderRegistry; log: Logger },
	job: Job,
	count: TokenCount = 'provider'
): Promise<Produced> {
	const produced: Produced = {
		text: job.partial_text,
		reasoning: job.partial_reasoning,
		usage: null
	};
	try {
		const provider = count === 'provider' ? await deps.providers.get(job.provider) : undefined;
		const params = JSON.parse(job.params) as JobParams;
		const prompt = await promptFor(deps.db, job, params);
		const from = params.continue
			? ((await findMessage(deps.db, job.user_id, job.assistant_message_id ?? 0))?.content ?? '')
			: '';
		produced.usage = await estimateUsage(provider, prompt.ok ? prompt.messages : [], {
			text: produced.text.slice(from.length),
			reasoning: produced.reasoning
		});
	} catch (error) {
		deps.log.warn({ err: error, jobId: job.id }, 'could not count the tokens of a job');
	}
	return produced;
}
