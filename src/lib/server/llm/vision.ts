// Which models take images, and the chat-completions wire form of a message with images
// (OpenAI's `image_url` content parts with data URLs; llama.cpp's server reads the same).
// Anthropic's image blocks are built in anthropic.ts.
import type { ChatMessage, ProviderKind } from '$lib/server/llm/types';

/** Cloud models known to take images; llama.cpp tells (/props modalities) instead. */
const VISION_MODELS: Record<Exclude<ProviderKind, 'llamacpp'>, RegExp> = {
	openai: /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4-turbo|gpt-5|o1(?!-mini)|o3(?!-mini)|o4)/,
	anthropic: /^claude-(3-(opus|sonnet|haiku)|3-5-sonnet|3-7|opus-4|sonnet-4|haiku-4)/,
	// Compatible servers name models freely: the usual vision families.
	openai_compatible:
		/(gpt-4o|gpt-4\.1|gpt-5|claude-(3|opus-4|sonnet-4|haiku-4)|llava|vision|[-_.]vl\b|-vl-|gemma-?3|pixtral|minicpm-v|moondream|qwen2\.5-vl|llama-?4)/i
};

/** For llama.cpp the answer is its /props (llm/llamacpp.ts), never a name. */
export function cloudModelSeesImages(kind: ProviderKind, model: string): boolean {
	return kind !== 'llamacpp' && VISION_MODELS[kind].test(model);
}

type ContentPart =
	{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** `messages` as the chat-completions API takes them: text alone, or text and image parts. */
export function toChatCompletionMessages(
	messages: readonly ChatMessage[]
): { role: ChatMessage['role']; content: string | ContentPart[] }[] {
	return messages.map(({ role, content, images }) =>
		images?.length
			? {
					role,
					content: [
						{ type: 'text', text: content },
						...images.map((image) => ({
							type: 'image_url' as const,
							image_url: { url: `data:${image.type};base64,${image.base64}` }
						}))
					]
				}
			: { role, content }
	);
}
