// OpenAI image generation (POST /images/generations, base64 PNG back), through the provider's
// guarded fetch. Only the official OpenAI provider offers it; failures are typed, not thrown.
import { describeFailure } from '$lib/server/llm/errors';
import type { ProviderOptions } from '$lib/server/llm/provider-options';
import type { ImageResult } from '$lib/server/llm/types';

export const IMAGE_MODEL = 'gpt-image-1';
const IMAGE_SIZE = '1024x1024';
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export async function generateOpenAiImage(
	options: Pick<ProviderOptions, 'baseUrl' | 'apiKey' | 'fetch' | 'name'>,
	prompt: string,
	signal: AbortSignal
): Promise<ImageResult> {
	try {
		const response = await options.fetch(
			`${options.baseUrl.replace(/\/$/, '')}/images/generations`,
			{
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {})
				},
				body: JSON.stringify({ model: IMAGE_MODEL, prompt, n: 1, size: IMAGE_SIZE }),
				signal
			}
		);
		const body = (await response.json().catch(() => null)) as {
			data?: { b64_json?: string }[];
			error?: { message?: string };
		} | null;
		if (!response.ok) {
			const message = body?.error?.message ?? `image request failed (${response.status})`;
			const failure = Object.assign(new Error(message), {
				status: response.status,
				error: { message }
			});
			return { ok: false, error: describeFailure(failure, options.name, options.apiKey) };
		}
		const b64 = body?.data?.[0]?.b64_json;
		const png = b64 ? Buffer.from(b64, 'base64') : null;
		if (!png || png.length > MAX_IMAGE_BYTES || !PNG_MAGIC.every((b, i) => png[i] === b)) {
			return {
				ok: false,
				error: {
					code: 'bad_response',
					message: `${options.name} sent no usable image`,
					retryable: false
				}
			};
		}
		return { ok: true, png, model: IMAGE_MODEL };
	} catch (error) {
		return { ok: false, error: describeFailure(error, options.name, options.apiKey) };
	}
}
