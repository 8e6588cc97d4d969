// The OpenAI-compatible API's use cases (/v1): the model list (shared presets and "provider/model"),
// chat completions run while their client listens — through the provider's guard and its
// concurrency gate — and embeddings. Every request is recorded in usage with its key; budgets
// refuse over-budget requests. Errors are typed here; openai-http.ts gives them OpenAI's shape.
import { randomBytes } from 'node:crypto';
import type { Database } from '$lib/server/db/database';
import { estimateTokens } from '$lib/server/llm/guard';
import { openAiReasoningEffort } from '$lib/server/llm/openai';
import { MAX_UPSTREAM_DURATION_MS, type ProviderRegistry } from '$lib/server/llm/registry';
import type {
	ChatEvent,
	ChatMessage,
	PassthroughEvent,
	Provider,
	ProviderFailure,
	WireChunk
} from '$lib/server/llm/types';
import { chunkChoices, chunkText } from '$lib/server/llm/wire';
import type { ApiKeyIdentity } from '$lib/server/services/api-keys';
import { saveApiExchange, type ApiExchange } from '$lib/server/services/api-history';
import { getLogger } from '$lib/server/log';
import { reserveApiRequest } from '$lib/server/services/budget';
import {
	screenReply,
	screensReplies,
	screenText,
	type Refusal
} from '$lib/server/services/content-policy';
import type { GuardContext } from '$lib/server/services/guard-model';
import { defaultModelRef } from '$lib/server/services/models';
import {
	ALIAS_PROVIDER_ID,
	findPresetModel,
	listPresetModels,
	type PresetModel
} from '$lib/server/services/preset-models';
import { recordUsage, type RecordedUsage } from '$lib/server/services/pricing';
import {
	ChatCompletionBody,
	describeInvalid,
	EmbeddingsBody,
	userText,
	type ChatCompletionInput,
	type V1MessageInput
} from '$lib/server/services/v1-request';
import { parseModelRef } from '$lib/shared/model-ref';

/** How long a request may wait for a free slot on its provider before it is told to retry. */
export const V1_QUEUE_WAIT_MS = 60_000;
export const V1_QUEUE_RETRY_AFTER_SECONDS = 5;
/**
 * How long a request's budget reservation stays in force if it is never settled (its instance
 * crashed): the queue wait, the longest upstream reply, and room for screening and recording.
 */
export const V1_RESERVATION_TTL_MS = V1_QUEUE_WAIT_MS + MAX_UPSTREAM_DURATION_MS + 5 * 60_000;

export interface V1Deps {
	db: Database;
	providers: ProviderRegistry;
	now?: () => number;
}

/** An error as OpenAI's API reports it; `status` is the HTTP status. */
export interface V1Error {
	status: number;
	type: string;
	code: string | null;
	param: string | null;
	message: string;
	retryAfterSeconds?: number;
}

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

const invalid = (message: string, param: string | null = null, code: string | null = null) => ({
	status: 400,
	type: 'invalid_request_error',
	code,
	param,
	message
});

export function modelNotFound(model: string): V1Error {
	return {
		status: 404,
		type: 'invalid_request_error',
		code: 'model_not_found',
		param: 'model',
		message: `The model \`${model.slice(0, 300)}\` does not exist or you do not have access to it.`
	};
}

/** A provider's failure in OpenAI's terms: the client's fault (4xx) or the upstream's (5xx). */
export function failureToV1(failure: ProviderFailure): V1Error {
	const upstream = (status: number, code: string) => ({
		status,
		type: 'api_error',
		code,
		param: null,
		message: failure.message
	});
	switch (failure.code) {
		case 'bad_request':
			// The upstream's words (keys redacted) help a client fix its request.
			return invalid(failure.detail ?? failure.message);
		case 'not_found':
			return { ...invalid(failure.message, 'model', 'model_not_found'), status: 404 };
		case 'rate_limited':
			return {
				...upstream(429, 'rate_limit_exceeded'),
				type: 'rate_limit_error',
				retryAfterSeconds: V1_QUEUE_RETRY_AFTER_SECONDS
			};
		case 'timeout':
			return upstream(504, 'timeout');
		case 'unreachable':
		case 'blocked':
			return upstream(503, 'provider_unavailable');
		default:
			return upstream(502, 'upstream_error');
	}
}

/** `/v1/models`: the shared presets, then every provider's models as "provider/model". */
export async function listV1Models(deps: V1Deps): Promise<{ id: string; owned_by: string }[]> {
	const aliases = (await listPresetModels(deps.db)).map((a) => ({
		id: a.name,
		owned_by: 'hearth'
	}));
	const models = (await deps.providers.models()).flatMap((p) =>
		p.list.models.map((m) => ({ id: `${p.id}/${m.id}`, owned_by: p.name }))
	);
	return [...aliases, ...models];
}

export interface ResolvedModel {
	provider: Provider;
	/** The provider's own model id. */
	model: string;
	/** Request fields a shared preset fills when the request leaves them out. */
	defaults: {
		temperature?: number;
		max_tokens?: number;
		top_p?: number;
		reasoning_effort?: string;
	};
	systemPrompt: string | null;
}

/** A shared preset's defaults as request fields; its reasoning level only where OpenAI takes it. */
function presetDefaults(
	preset: PresetModel,
	provider: Provider,
	model: string
): ResolvedModel['defaults'] {
	const effort = provider.kind === 'openai' ? openAiReasoningEffort(model, preset.reasoning) : null;
	return {
		...(preset.temperature !== null ? { temperature: preset.temperature } : {}),
		...preset.params,
		...(effort ? { reasoning_effort: effort } : {})
	};
}

/**
 * A shared preset by name (its model, or the home model when it names none), else a
 * "provider/model" the provider lists (any model if its list is down).
 */
export async function resolveV1Model(deps: V1Deps, name: string): Promise<ResolvedModel | null> {
	const alias = await findPresetModel(deps.db, name);
	const ref = alias
		? parseModelRef(alias.model ?? (await defaultModelRef(deps.providers, deps.db)))
		: parseModelRef(name);
	if (!ref || ref.provider === ALIAS_PROVIDER_ID) return null;
	const provider = await deps.providers.get(ref.provider);
	if (!provider) return null;
	if (!alias) {
		const listed = (await deps.providers.models()).find((p) => p.id === ref.provider);
		if (listed?.list.source === 'live' && !listed.list.models.some((m) => m.id === ref.model))
			return null;
	}
	return {
		provider,
		model: ref.model,
		defaults: alias ? presetDefaults(alias, provider, ref.model) : {},
		systemPrompt: alias?.systemPrompt ?? null
	};
}

/**
 * The content-policy seam: every piece of user text a /v1 request carries enters here before
 * the request runs. A refusal is the rule's message; null lets the request through.
 */
export async function screenUserText(
	deps: V1Deps,
	text: string,
	userId: number
): Promise<Refusal | null> {
	return screenText(deps.db, text, (deps.now ?? Date.now)(), guardContext(deps, userId), {
		userId,
		source: 'api'
	});
}

function guardContext(deps: V1Deps, userId: number): GuardContext {
	return { db: deps.db, providers: deps.providers, userId, source: 'api', now: deps.now };
}

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

/**
 * Where a /v1 request starts running: the budget, then a slot on the provider's gate (shared with
 * the chat's replies, fair between users), waited for at most V1_QUEUE_WAIT_MS, else 429 with
 * Retry-After. Resolves to the slot's release and the budget reservation's `settle`, to call once
 * the request's usage is recorded.
 */
export async function startV1Request(
	deps: V1Deps,
	userId: number,
	provider: Provider,
	signal: AbortSignal
): Promise<
	{ ok: true; release: () => void; settle: () => Promise<void> } | { ok: false; error: V1Error }
> {
	const reserved = await reserveApiRequest(
		deps.db,
		userId,
		(deps.now ?? Date.now)(),
		V1_RESERVATION_TTL_MS
	);
	if (!reserved.ok)
		return {
			ok: false,
			error: {
				status: 429,
				type: 'insufficient_quota',
				code: 'insufficient_quota',
				param: null,
				message: reserved.message
			}
		};
	const waited = AbortSignal.any([signal, AbortSignal.timeout(V1_QUEUE_WAIT_MS)]);
	try {
		const free = await deps.providers.acquire(provider, userId, waited);
		let released = false;
		const release = () => {
			if (released) return;
			released = true;
			free();
		};
		return { ok: true, release, settle: reserved.settle };
	} catch {
		await reserved.settle();
		return {
			ok: false,
			error: {
				status: 429,
				type: 'rate_limit_error',
				code: 'queue_full',
				param: null,
				message: `${provider.name} is busy; retry shortly`,
				retryAfterSeconds: V1_QUEUE_RETRY_AFTER_SECONDS
			}
		};
	}
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
		return { ok: false, error: invalid(message, param) };
	}
	const input = parsed.data;
	if ((input.n ?? 1) > 1)
		return { ok: false, error: invalid('n: only 1 choice is supported', 'n', 'unsupported') };
	const target = await resolveV1Model(deps, input.model);
	if (!target) return { ok: false, error: modelNotFound(input.model) };
	const passthrough = target.provider.streamPassthrough;
	if (!passthrough) {
		const param = unsupportedWithoutPassthrough(input);
		if (param)
			return {
				ok: false,
				error: invalid(`${param}: not supported by ${target.provider.name}`, param, 'unsupported')
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
				{
					userId: caller.user.id,
					conversationId: null,
					messageId: null,
					jobId: null,
					provider: target!.provider.id,
					model: target!.model,
					source: 'api',
					apiTokenId: caller.key.id,
					apiKeyName: caller.key.name
				},
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

/** `/v1/embeddings` through a provider that has them; recorded in usage like a completion. */
export async function createEmbeddings(
	deps: V1Deps,
	caller: ApiKeyIdentity,
	raw: unknown,
	signal: AbortSignal
): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; error: V1Error }> {
	const parsed = EmbeddingsBody.safeParse(raw);
	if (!parsed.success) {
		const { param, message } = describeInvalid(parsed.error);
		return { ok: false, error: invalid(message, param) };
	}
	const input = parsed.data;
	const target = await resolveV1Model(deps, input.model);
	if (!target) return { ok: false, error: modelNotFound(input.model) };
	const embed = target.provider.embed;
	if (!embed)
		return {
			ok: false,
			error: invalid(`${target.provider.name} has no embeddings`, 'model', 'unsupported')
		};
	const started = await startV1Request(deps, caller.user.id, target.provider, signal);
	if (!started.ok) return started;
	const { user: _u, ...fields } = input;
	let result;
	try {
		result = await embed.call(target.provider, { ...fields, model: target.model }, signal);
	} catch (error) {
		await started.settle();
		throw error;
	} finally {
		started.release();
	}
	if (!result.ok) {
		await started.settle();
		return { ok: false, error: failureToV1(result.error) };
	}
	const reported = result.body.usage as { prompt_tokens?: number } | undefined;
	const texts = typeof input.input === 'string' ? [input.input] : input.input;
	const promptTokens =
		reported?.prompt_tokens ??
		estimateTokens(texts.reduce<number>((n, t) => n + (typeof t === 'string' ? t.length : 4), 0));
	await recordUsage(
		deps.db,
		{
			userId: caller.user.id,
			conversationId: null,
			messageId: null,
			jobId: null,
			provider: target.provider.id,
			model: target.model,
			source: 'api',
			apiTokenId: caller.key.id,
			apiKeyName: caller.key.name
		},
		{
			promptTokens,
			completionTokens: 0,
			estimated: reported?.prompt_tokens === undefined,
			local: target.provider.kind === 'llamacpp'
		},
		(deps.now ?? Date.now)()
	).finally(started.settle);
	return {
		ok: true,
		body: {
			...result.body,
			object: 'list',
			model: input.model,
			usage: { prompt_tokens: promptTokens, total_tokens: promptTokens }
		}
	};
}
