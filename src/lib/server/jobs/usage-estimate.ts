// Tokens of a reply that ended before its provider reported usage (stopped, failed, interrupted,
// or a server that never sends a usage chunk): counted with the model's own tokenizer where the
// provider has one (llama.cpp /tokenize), else from the text's length; always marked estimated.
import type { Produced } from '$lib/server/jobs/finish';
import type { ChatMessage, Provider } from '$lib/server/llm/types';

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
