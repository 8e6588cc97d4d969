// llama.cpp's server through its OpenAI-compatible API, plus its own /props (model, context size,
// slot count) and /health. Concurrency defaults to the slot count: a Pi with one slot serialises.
import { z } from 'zod';
import { describeFailure } from '$lib/server/llm/errors';
import { streamChatCompletions } from '$lib/server/llm/chat-completions-stream';
import { listOpenAiModels } from '$lib/server/llm/openai-chat';
import { embedPassthrough, streamPassthrough } from '$lib/server/llm/passthrough';
import type { ProviderOptions } from '$lib/server/llm/provider-options';
import type { ChatEvent, ChatRequest, ModelList, Provider } from '$lib/server/llm/types';
import {
	listRouterModels,
	loadAndWait,
	modelReadiness,
	setRouterModel,
	type RouterClient,
	type RouterModel
} from '$lib/server/llm/llama-router';

const Props = z.object({
	total_slots: z.number().int().positive().optional(),
	model_path: z.string().optional(),
	default_generation_settings: z
		.object({ n_ctx: z.number().int().optional() })
		.partial()
		.optional(),
	/** Present since llama.cpp's multimodal support; vision when a projector (--mmproj) is loaded. */
	modalities: z.object({ vision: z.boolean().optional() }).partial().optional()
});
export type LlamaProps = {
	slots: number;
	contextLength: number | null;
	modelPath: string | null;
	vision: boolean;
};

const PROPS_TTL_MS = 30_000;
const Tokens = z.object({ tokens: z.array(z.unknown()) });
const Template = z.object({ prompt: z.string() });

function serverRoot(baseUrl: string): string {
	return baseUrl.replace(/\/v1\/?$/, '');
}

export type LlamaCppProvider = Provider & {
	props(signal?: AbortSignal): Promise<LlamaProps>;
	health(signal?: AbortSignal): Promise<boolean>;
	/** Router mode: the models and their states (null: not a router); `reload` re-reads the folder. */
	routerModels(reload?: boolean, signal?: AbortSignal): Promise<RouterModel[] | null>;
	setModel(model: string, action: 'load' | 'unload', signal?: AbortSignal): Promise<boolean>;
};

export function createLlamaCppProvider(options: ProviderOptions): LlamaCppProvider {
	const root = serverRoot(options.baseUrl);
	const apiBase = `${root}/v1`;
	const auth: HeadersInit = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
	let cached: { at: number; props: LlamaProps } | null = null;
	const router: RouterClient = { root, headers: auth, fetch: options.fetch };
	/** Known after the first model list or reply: a single-model server skips the state check. */
	let isRouter: boolean | null = null;

	/** In router mode, loads the model first (saying so) when it is not in memory yet. */
	async function* streamWithLoad(
		request: ChatRequest,
		signal: AbortSignal
	): AsyncGenerator<ChatEvent> {
		if (isRouter !== false) {
			const readiness = await modelReadiness(router, request.model, signal).catch(() => null);
			isRouter = readiness ? readiness.kind !== 'not_router' : isRouter;
			if (readiness?.kind === 'needs_load') {
				yield { type: 'status', status: 'loading_model' };
				if (!(await loadAndWait(router, request.model, signal))) {
					if (signal.aborted) return;
					yield {
						type: 'error',
						error: {
							code: 'upstream',
							retryable: false,
							message: `${options.name} could not load the model ${request.model}`
						}
					};
					return;
				}
				yield { type: 'status', status: 'model_loaded' };
			}
		}
		yield* streamChatCompletions(
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
	}

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
			contextLength: parsed.default_generation_settings?.n_ctx || null,
			modelPath: parsed.model_path ?? null,
			vision: parsed.modalities?.vision === true
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
		async routerModels(reload = false, signal) {
			const models = await listRouterModels(router, { reload, signal });
			isRouter = models !== null;
			return models;
		},
		setModel: (model, action, signal) => setRouterModel(router, model, action, signal),
		async listModels(signal): Promise<ModelList> {
			try {
				const routed = await listRouterModels(router, { signal }).catch(() => null);
				isRouter = routed ? true : isRouter;
				if (routed)
					return {
						source: 'live',
						models: routed.map((m) => ({
							id: m.id,
							state: m.state,
							contextLength: m.contextLength ?? undefined
						}))
					};
				const [models, info] = await Promise.all([
					listOpenAiModels(
						{ baseUrl: apiBase, apiKey: options.apiKey, fetch: options.fetch },
						signal
					),
					props(signal).catch(() => null)
				]);
				const contextLength = info?.contextLength ?? undefined;
				const vision = info?.vision ?? false;
				return { source: 'live', models: models.map((m) => ({ ...m, contextLength, vision })) };
			} catch (error) {
				return {
					source: 'fallback',
					models: options.enabledModels.map((id) => ({ id })),
					error: describeFailure(error, options.name, options.apiKey)
				};
			}
		},
		streamChat: (request, signal) => streamWithLoad(request, signal),
		streamPassthrough(request, signal) {
			const wire = { providerName: options.name, baseUrl: apiBase, apiKey: options.apiKey };
			return streamPassthrough(
				{ ...wire, fetch: options.fetch, maxTokensField: 'max_tokens' },
				request,
				signal
			);
		},
		embed(body, signal) {
			const wire = { providerName: options.name, baseUrl: apiBase, apiKey: options.apiKey };
			return embedPassthrough({ ...wire, fetch: options.fetch }, body, signal);
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
