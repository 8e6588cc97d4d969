// Reading OpenAI's chat-completions wire format where Hearth must look inside a raw chunk: the
// text it carries (for the guard's size cap and a usage estimate), its finish reason and usage.
import type { WireChunk } from '$lib/server/llm/types';
import type { WireUsage } from '$lib/server/llm/openai-chat';

export interface WireDelta {
	role?: string;
	content?: string | null;
	reasoning_content?: string | null;
	tool_calls?: {
		index?: number;
		id?: string;
		type?: string;
		function?: { name?: string; arguments?: string };
	}[];
}

export interface WireChoice {
	index?: number;
	delta?: WireDelta;
	finish_reason?: string | null;
	logprobs?: unknown;
}

export function chunkChoices(chunk: WireChunk): WireChoice[] {
	return Array.isArray(chunk.choices) ? (chunk.choices as WireChoice[]) : [];
}

export function chunkUsage(chunk: WireChunk): WireUsage | null {
	const usage = chunk.usage;
	return usage && typeof usage === 'object' ? (usage as WireUsage) : null;
}

/** Everything a chunk adds to the reply: text, reasoning and tool-call arguments. */
export function chunkText(chunk: WireChunk): string {
	let text = '';
	for (const choice of chunkChoices(chunk)) {
		const delta = choice.delta;
		if (!delta) continue;
		if (typeof delta.content === 'string') text += delta.content;
		if (typeof delta.reasoning_content === 'string') text += delta.reasoning_content;
		for (const call of delta.tool_calls ?? []) {
			if (typeof call.function?.name === 'string') text += call.function.name;
			if (typeof call.function?.arguments === 'string') text += call.function.arguments;
		}
	}
	return text;
}
