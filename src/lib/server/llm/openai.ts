// OpenAI itself and any OpenAI-compatible server (LocalAI, Ollama, vLLM, OpenRouter) by base URL.
import { describeFailure } from '$lib/server/llm/errors';
import {
	FALLBACK_MODELS,
	isOpenAiChatModel,
	isOpenAiReasoningModel
} from '$lib/server/llm/fallback-models';
import { generateOpenAiImage } from '$lib/server/llm/openai-images';
import { listOpenAiModels, streamOpenAiChat } from '$lib/server/llm/openai-chat';
import { embedPassthrough, streamPassthrough } from '$lib/server/llm/passthrough';
import {
	cloudWindow,
	DEFAULT_CLOUD_CONCURRENCY,
	type ProviderOptions
} from '$lib/server/llm/provider-options';
import type { ChatRequest, ModelList, Provider } from '$lib/server/llm/types';
import { cloudModelSeesImages } from '$lib/server/llm/vision';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

function openAiExtras(request: ChatRequest): Record<string, unknown> {
	if (!isOpenAiReasoningModel(request.model) || !request.reasoning) return {};
	return { reasoning_effort: request.reasoning === 'off' ? 'minimal' : request.reasoning };
}

export function createOpenAiProvider(options: ProviderOptions): Provider {
	const official = options.kind === 'openai';
	return {
		id: options.id,
		kind: options.kind,
		name: options.name,
		baseUrl: options.baseUrl,
		async listModels(signal): Promise<ModelList> {
			try {
				const models = await listOpenAiModels(options, signal);
				return {
					source: 'live',
					models: (official ? models.filter((m) => isOpenAiChatModel(m.id)) : models).map((m) => ({
						...m,
						vision: cloudModelSeesImages(options.kind, m.id)
					}))
				};
			} catch (error) {
				const fallback =
					options.enabledModels.length > 0 ? options.enabledModels : FALLBACK_MODELS[options.kind];
				return {
					source: 'fallback',
					models: fallback.map((id) => ({ id, vision: cloudModelSeesImages(options.kind, id) })),
					error: describeFailure(error, options.name, options.apiKey)
				};
			}
		},
		streamChat(request, signal) {
			return streamOpenAiChat(
				{
					providerName: options.name,
					baseUrl: options.baseUrl,
					apiKey: options.apiKey,
					fetch: options.fetch,
					extraBody: official ? openAiExtras : undefined,
					maxTokensField: official ? 'max_completion_tokens' : 'max_tokens'
				},
				request,
				signal
			);
		},
		streamPassthrough(request, signal) {
			return streamPassthrough(
				{
					providerName: options.name,
					baseUrl: options.baseUrl,
					apiKey: options.apiKey,
					fetch: options.fetch,
					maxTokensField: official ? 'max_completion_tokens' : 'max_tokens'
				},
				request,
				signal
			);
		},
		embed(body, signal) {
			const { name: providerName, baseUrl, apiKey, fetch } = options;
			return embedPassthrough({ providerName, baseUrl, apiKey, fetch }, body, signal);
		},
		async concurrency() {
			return options.maxConcurrency ?? DEFAULT_CLOUD_CONCURRENCY;
		},
		contextWindow: (model) => cloudWindow(options, model),
		...(official
			? {
					generateImage: (prompt: string, signal: AbortSignal) =>
						generateOpenAiImage(options, prompt, signal)
				}
			: {})
	};
}
