// `/v1/chat/completions`: a completion run while its client listens — admitted (v1-admission.ts),
// through the provider's passthrough or its chat stream, screened where a rule screens replies —
// and recorded in usage with its key whatever happens; saved to history when the key asks.
import { randomBytes } from 'node:crypto';
import { estimateTokens } from '$lib/server/llm/guard';
import type { ChatEvent, ChatMessage, PassthroughEvent, WireChunk } from '$lib/server/llm/types';
import { chunkChoices, chunkText } from '$lib/server/llm/wire';
import type { ApiKeyIdentity } from '$lib/server/services/api-keys';
import { saveApiExchange, type ApiExchange } from '$lib/server/services/api-history';
import { getLogger } from '$lib/server/log';
import { screenReply, screensReplies } from '$lib/server/services/content-policy';
import { recordUsage, type RecordedUsage } from '$lib/server/services/pricing';
import {
	apiUsageContext,
	failureToV1,
	guardContext,
	invalidRequest,
	modelNotFound,
	screenUserText,
	startV1Request,
	type V1Deps,
	type V1Error
} from '$lib/server/services/v1-admission';
import { resolveV1Model, type ResolvedModel } from '$lib/server/services/v1-models';
import {
	ChatCompletionBody,
	describeInvalid,
	userText,
	type ChatCompletionInput,
	type V1MessageInput
} from '$lib/server/services/v1-request';

export interface OpenAiUsage {
	prompt_tokens: number;
	completion_tokens: number;
	total_tokens: number;
	prompt_tokens_details?: { cached_tokens: number };
	completion_tokens_details?: { reasoning_tokens: number };
}

export type V1Event =
	| { type: 'chunk'; chunk: WireChunk }
	| { type: 'usage'; usage: OpenAiUsage }
	| { type: 'error'; error: V1Error };

/** A refusal as a normal one-choice completion that ends with finish_reason "content_filter". */
async function* refusalEvents(message: string): AsyncGenerator<V1Event> {
	yield {
		type: 'chunk',
		chunk: {
			choices: [{ index: 0, delta: { role: 'assistant', content: message }, finish_reason: null }]
		}
	};
	yield {
		type: 'chunk',
		chunk: { choices: [{ index: 0, delta: {}, finish_reason: 'content_filter' }] }
	};
	yield { type: 'usage', usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } };
}

/** What a provider without the passthrough (Anthropic) cannot take through its chat stream. */
function unsupportedWithoutPassthrough(input: ChatCompletionInput): string | null {
	if (input.tools?.length) return 'tools';
	if (input.tool_choice !== undefined) return 'tool_choice';
	if (input.response_format && input.response_format.type !== 'text') return 'response_format';
	if (input.stop) return 'stop';
	if (input.seed !== undefined && input.seed !== null) return 'seed';
	for (const [i, m] of input.messages.entries()) {
		if (m.role === 'tool' || m.tool_calls) return `messages.${i}.role`;
		if (Array.isArray(m.content) && m.content.some((p) => p.type !== 'text'))
			return `messages.${i}.content`;
	}
	return null;
}

function plainMessages(messages: V1MessageInput[]): ChatMessage[] {
	return messages.map((m) => ({
		role: m.role === 'developer' ? 'system' : (m.role as ChatMessage['role']),
		content:
			typeof m.content === 'string'
				? m.content
				: (m.content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('')
	}));
}

/** The text turns of a request, as history keeps them (tool turns and images are left out). */
function historyTurns(messages: V1MessageInput[]): ApiExchange['turns'] {
	return plainMessages(messages.filter((m) => m.role !== 'tool')).filter(
		(m) => m.content.trim() !== ''
	);
}

/** The body sent upstream: the checked fields, the preset's defaults and system prompt, its model. */
function upstreamBody(input: ChatCompletionInput, target: ResolvedModel): Record<string, unknown> {
	const { model: _model, stream: _s, stream_options: _o, user: _u, n: _n, ...fields } = input;
	const body: Record<string, unknown> = { ...fields, model: target.model };
	for (const [name, value] of Object.entries(target.defaults))
		if (body[name] === undefined || body[name] === null) body[name] = value;
	if (target.defaults.max_tokens !== undefined && input.max_completion_tokens != null)
		delete body.max_tokens;
	if (target.systemPrompt)
		body.messages = [{ role: 'system', content: target.systemPrompt }, ...input.messages];
	return body;
}

/** A chat stream (no passthrough) as chat.completion.chunk deltas. */
async function* chunksFromChat(events: AsyncIterable<ChatEvent>): AsyncGenerator<PassthroughEvent> {
	let first = true;
	const chunk = (
		delta: Record<string, unknown>,
		finish: string | null = null
	): PassthroughEvent => {
		const role = first ? { role: 'assistant' } : {};
		first = false;
		return {
			type: 'chunk',
			chunk: { choices: [{ index: 0, delta: { ...role, ...delta }, finish_reason: finish }] }
		};
	};
	for await (const event of events) {
		if (event.type === 'text') yield chunk({ content: event.text });
		else if (event.type === 'reasoning') yield chunk({ reasoning_content: event.text });
		else if (event.type === 'finish') {
			yield chunk({}, event.reason === 'other' ? 'stop' : event.reason);
			yield event;
		} else yield event;
	}
}

function toOpenAiUsage(event: Extract<ChatEvent, { type: 'usage' }>): OpenAiUsage {
	return {
		prompt_tokens: event.promptTokens,
		completion_tokens: event.completionTokens,
		total_tokens: event.promptTokens + event.completionTokens,
		...(event.cachedTokens !== undefined
			? { prompt_tokens_details: { cached_tokens: event.cachedTokens } }
			: {}),
		...(event.reasoningTokens !== undefined
			? { completion_tokens_details: { reasoning_tokens: event.reasoningTokens } }
			: {})
	};
}

export interface V1Completion {
	ok: true;
	/** The id every chunk of this completion carries. */
	id: string;
	created: number;
	/** The model as the client named it. */
	model: string;
	stream: boolean;
	includeUsage: boolean;
	/** Starts the request when first read; ends it (and records its usage) when closed. */
	events: AsyncGenerator<V1Event>;
}

export async function openChatCompletion(
	deps: V1Deps,
	caller: ApiKeyIdentity,
	raw: unknown,
	signal: AbortSignal
): Promise<V1Completion | { ok: false; error: V1Error }> {
	const parsed = ChatCompletionBody.safeParse(raw);
	if (!parsed.success) {
		const { param, message } = describeInvalid(parsed.error);
		return { ok: false, error: invalidRequest(message, param) };
	}
	const input = parsed.data;
	if ((input.n ?? 1) > 1)
		return {
			ok: false,
			error: invalidRequest('n: only 1 choice is supported', 'n', 'unsupported')
		};
	const target = await resolveV1Model(deps, input.model);
	if (!target) return { ok: false, error: modelNotFound(input.model) };
	const passthrough = target.provider.streamPassthrough;
	if (!passthrough) {
		const param = unsupportedWithoutPassthrough(input);
		if (param)
			return {
				ok: false,
				error: invalidRequest(
					`${param}: not supported by ${target.provider.name}`,
					param,
					'unsupported'
				)
			};
	}
	const text = userText(input.messages);
	const refusal = await screenUserText(deps, text, caller.user.id);
	const now = deps.now ?? Date.now;
	const created = Math.floor(now() / 1000);
	const id = `chatcmpl-${randomBytes(12).toString('base64url')}`;
	const completion = {
		ok: true as const,
		id,
		created,
		model: input.model,
		stream: input.stream === true,
		includeUsage: input.stream_options?.include_usage === true
	};
	const stamp = { id, object: 'chat.completion.chunk', created, model: input.model };
	if (refusal) {
		async function* stamped(): AsyncGenerator<V1Event> {
			for await (const event of refusalEvents(refusal!.message))
				yield event.type === 'chunk' ? { ...event, chunk: { ...event.chunk, ...stamp } } : event;
		}
		return { ...completion, events: stamped() };
	}
	const body = upstreamBody(input, target);

	async function* run(): AsyncGenerator<V1Event> {
		const started = await startV1Request(deps, caller.user.id, target!.provider, signal);
		if (!started.ok) {
			yield { type: 'error', error: started.error };
			return;
		}
		let usage: RecordedUsage | null = null;
		let output = 0;
		let finished = false;
		let failed = false;
		let reply = '';
		let reasoning = '';
		// With a rule that screens replies, the whole reply is held back until it is screened.
		const held: V1Event[] | null = (await screensReplies(deps.db)) ? [] : null;
		try {
			const events = passthrough
				? passthrough.call(target!.provider, { body }, signal)
				: chunksFromChat(
						target!.provider.streamChat(
							{
								model: target!.model,
								messages: plainMessages(body.messages as V1MessageInput[]),
								temperature: (body.temperature as number | null) ?? undefined,
								maxTokens:
									((body.max_completion_tokens ?? body.max_tokens) as number | null) ?? undefined
							},
							signal
						)
					);
			for await (const event of events) {
				if (event.type === 'chunk') {
					output += chunkText(event.chunk).length;
					if (caller.key.saveHistory || held)
						for (const choice of chunkChoices(event.chunk)) {
							if (typeof choice.delta?.content === 'string') reply += choice.delta.content;
							if (typeof choice.delta?.reasoning_content === 'string')
								reasoning += choice.delta.reasoning_content;
						}
					const { usage: _u, timings: _t, ...rest } = event.chunk;
					if (chunkChoices(rest).length === 0) continue;
					const out: V1Event = {
						type: 'chunk',
						chunk: { ...rest, ...stamp }
					};
					if (held) held.push(out);
					else yield out;
				} else if (event.type === 'usage') {
					usage = {
						promptTokens: event.promptTokens,
						completionTokens: event.completionTokens,
						cachedTokens: event.cachedTokens,
						reasoningTokens: event.reasoningTokens,
						estimated: event.estimated
					};
					const out: V1Event = { type: 'usage', usage: toOpenAiUsage(event) };
					if (held) held.push(out);
					else yield out;
				} else if (event.type === 'error') {
					failed = true;
					yield { type: 'error', error: failureToV1(event.error) };
					return;
				} else if (event.type === 'finish') finished = true;
			}
			if (held) {
				started.release(); // a guard model may need this very slot
				const refusal = await screenReply(
					deps.db,
					text,
					reply,
					now(),
					guardContext(deps, caller.user.id)
				);
				if (refusal) {
					reply = refusal.message;
					reasoning = '';
					for await (const event of refusalEvents(refusal.message))
						if (event.type === 'chunk') yield { ...event, chunk: { ...event.chunk, ...stamp } };
					yield* held.filter((e) => e.type === 'usage');
				} else yield* held;
			}
		} finally {
			started.release();
			// Recorded whatever happened, the client gone included (then counted from the text).
			await recordUsage(
				deps.db,
				apiUsageContext(caller, target!.provider, target!.model),
				{
					...(usage ?? {
						promptTokens: estimateTokens(text.length),
						completionTokens: estimateTokens(output),
						estimated: true
					}),
					local: target!.provider.kind === 'llamacpp'
				},
				now()
			).finally(started.settle);
			if (caller.key.saveHistory && finished && !failed && !signal.aborted)
				await saveApiExchange(deps.db, {
					userId: caller.user.id,
					provider: target!.provider.id,
					model: target!.model,
					turns: historyTurns(body.messages as V1MessageInput[]),
					reply,
					reasoning,
					usage
				}).catch((error: unknown) =>
					getLogger().warn({ err: error }, 'could not save an API exchange to history')
				);
		}
	}

	return { ...completion, events: run() };
}
