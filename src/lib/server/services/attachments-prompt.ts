// How attachments enter a prompt: a document becomes a delimited block naming the file, appended
// to its message's text; an image becomes a ChatImage the adapters put in their provider's format
// (llm/vision.ts, llm/anthropic.ts). Also the token estimate each attachment reports at upload.
import { CHARS_PER_TOKEN } from '$lib/server/jobs/usage-estimate';
import type { ChatImage } from '$lib/server/llm/types';
import type { AttachmentKind } from '$lib/shared/attachments';

/**
 * An image's prompt tokens, estimated: Anthropic counts about (width × height) / 750, so the
 * 1.15-megapixel image it scales to costs ~1,600; OpenAI's high detail at 2048 px is ~1,100; a
 * llama.cpp projector uses fewer. The largest of these, so the estimate does not fall short.
 */
export const IMAGE_TOKEN_ESTIMATE = 1_600;

export function documentBlock(name: string, text: string): string {
	const safeName = name.replace(/["\r\n<>]/g, '_');
	return `<file name="${safeName}">\n${text.replaceAll('</file>', '<\\/file>')}\n</file>`;
}

/** The prompt tokens an attachment will cost, by the same rule as the usage fallback. */
export function attachmentTokens(attachment: {
	kind: AttachmentKind;
	name: string;
	text: string | null;
}): number {
	if (attachment.kind === 'image') return IMAGE_TOKEN_ESTIMATE;
	return Math.ceil(documentBlock(attachment.name, attachment.text ?? '').length / CHARS_PER_TOKEN);
}

export interface PromptAttachment {
	name: string;
	type: string;
	kind: string;
	text: string | null;
	data: Uint8Array;
}

/** A user message's text with its documents appended, and its images. */
export function withAttachments(
	content: string,
	attachments: readonly PromptAttachment[]
): { content: string; images?: ChatImage[] } {
	const documents = attachments.filter((a) => a.kind === 'document');
	const images = attachments
		.filter((a) => a.kind === 'image')
		.map((a) => ({ type: a.type, base64: Buffer.from(a.data).toString('base64') }));
	const text = [content, ...documents.map((d) => documentBlock(d.name, d.text ?? ''))]
		.filter(Boolean)
		.join('\n\n');
	return images.length > 0 ? { content: text, images } : { content: text };
}
