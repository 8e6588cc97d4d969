// llama.cpp's server through its OpenAI-compatible API, plus its own /props (model, context size,
// slot count) and /health. Concurrency defaults to the slot count: a Pi with one slot serialises.
import { z } from 'zod';
import { describeFailure } from '$lib/server/llm/errors';
import { streamChatCompletions } from '$lib/server/llm/chat-completions-stream';
import { listOpenAiModels } from '$lib/server/llm/openai-chat';
import type { ProviderOptions } from '$lib/server/llm/provider-options';
import type { ModelList, Provider } from '$lib/server/llm/types';

const Props = z.object({
	total_slots: z.number().int().positive().optional(),
	model_path: z.string().optional(),
	default_generation_settings: z.object({ n_ctx: z.number().int().optional() }).partial().optional()
});
export type LlamaProps = { slots: number; contextLength: number | null; modelPath: string | null };

const PROPS_TTL_MS = 30_000;
const Tokens = z.object({ tokens: z.array(z.unknown()) });
const Template = z.object({ prompt: z.string() });

function serverRoot(baseUrl: string): string {
	return baseUrl.replace(/\/v1\/?$/, '');
}

export function createLlamaCppProvider(options: ProviderOptions): Provider & {
	props(signal?: AbortSignal): Promise<LlamaProps>;
	health(signal?: AbortSignal): Promise<boolean>;
} {
	const root = serverRoot(options.baseUrl);
	const apiBase = `${root}/v1`;
	const auth: HeadersInit = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
	let cached: { at: number; props: LlamaProps } | null = null;

	let refreshing: Promise<unknown> | null = null;
	/** The known props at once (refreshed behind the caller when stale): replies never wait for /props. */
	function knownProps(): Promise<LlamaProps> {
		if (!cached) return props();
		if (Date.now() - cached.at >= PROPS_TTL_MS)
			refreshing ??= props()
				.catch(() => undefined)
				.finally(() => (refreshing = null));
		return Promise.resolve(cached.props);
	}

	async function props(signal?: AbortSignal): Promise<LlamaProps> {
		if (cached && Date.now() - cached.at < PROPS_TTL_MS) return cached.props;
		const res = await options.fetch(`${root}/props`, { headers: auth, signal });
		if (!res.ok)
			throw Object.assign(new Error(`GET /props answered ${res.status}`), { status: res.status });
		const parsed = Props.parse(await res.json());
		const value = {
			slots: parsed.total_slots ?? 1,
			contextLength: parsed.default_generation_settings?.n_ctx ?? null,
			modelPath: parsed.model_path ?? null
		};
		cached = { at: Date.now(), props: value };
		return value;
	}

	return {
		id: options.id,
		kind: 'llamacpp',
		name: options.name,
		baseUrl: options.baseUrl,
		props,
		async health(signal) {
			try {
				return (await options.fetch(`${root}/health`, { headers: auth, signal })).ok;
			} catch {
				return false;
			}
		},
		async listModels(signal): Promise<ModelList> {
			try {
				const [models, info] = await Promise.all([
					listOpenAiModels(
						{ baseUrl: apiBase, apiKey: options.apiKey, fetch: options.fetch },
						signal
					),
					props(signal).catch(() => null)
				]);
				const contextLength = info?.contextLength ?? undefined;
				return { source: 'live', models: models.map((m) => ({ ...m, contextLength })) };
			} catch (error) {
				return {
					source: 'fallback',
					models: options.enabledModels.map((id) => ({ id })),
					error: describeFailure(error, options.name, options.apiKey)
				};
			}
		},
		streamChat(request, signal) {
			return streamChatCompletions(
				{
					providerName: options.name,
					baseUrl: apiBase,
					apiKey: options.apiKey,
					fetch: options.fetch,
					// llama.cpp returns reasoning in reasoning_content; "off" asks templates not to think.
					extraBody: (r) =>
						r.reasoning === 'off' ? { chat_template_kwargs: { enable_thinking: false } } : {}
				},
				request,
				signal
			);
		},
		async contextWindow() {
			if (options.contextWindow) return options.contextWindow;
			try {
				return (await knownProps()).contextLength;
			} catch {
				return null;
			}
		},
		async countPrompt(messages, signal) {
			try {
				const res = await options.fetch(`${root}/apply-template`, {
					method: 'POST',
					headers: { ...auth, 'content-type': 'application/json' },
					body: JSON.stringify({ messages }),
					signal
				});
				if (!res.ok) return null;
				const { prompt } = Template.parse(await res.json());
				const tokens = await options.fetch(`${root}/tokenize`, {
					method: 'POST',
					headers: { ...auth, 'content-type': 'application/json' },
					body: JSON.stringify({ content: prompt, add_special: true, parse_special: true }),
					signal
				});
				if (!tokens.ok) return null;
				return Tokens.parse(await tokens.json()).tokens.length;
			} catch {
				return null;
			}
		},
		async countTokens(text, signal) {
			try {
				const res = await options.fetch(`${root}/tokenize`, {
					method: 'POST',
					headers: { ...auth, 'content-type': 'application/json' },
					body: JSON.stringify({ content: text, add_special: false }),
					signal
				});
				if (!res.ok) return null;
				return Tokens.parse(await res.json()).tokens.length;
			} catch {
				return null;
			}
		},
		async concurrency() {
			if (options.maxConcurrency) return options.maxConcurrency;
			try {
				return (await knownProps()).slots;
			} catch {
				return 1;
			}
		}
	};
}
