// Attachments' limits and wire shape, shared by the composer (checks before upload) and the
// server (which enforces them). Types are decided by the server from the bytes.

export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
export const MAX_MESSAGE_ATTACHMENT_BYTES = 50 * 1024 * 1024;
/** Images are downscaled on the device so their long side is at most this. */
export const IMAGE_MAX_SIDE_PX = 2048;
/** JPEG quality of the re-encoded image (0–1). */
export const IMAGE_JPEG_QUALITY = 0.85;

export const ATTACHMENT_KINDS = ['image', 'document'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/** Images a model can be sent (every provider Hearth speaks takes these). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;

/** What the file input offers: camera/photos and the document types the server reads. */
export const ATTACHMENT_ACCEPT = [
	'image/*',
	'.pdf',
	'.docx',
	'.txt',
	'.md',
	'.markdown',
	'.csv',
	'.json',
	'.js',
	'.ts',
	'.py',
	'.java',
	'.c',
	'.h',
	'.cpp',
	'.rs',
	'.go',
	'.rb',
	'.sh',
	'.html',
	'.css',
	'.xml',
	'.yaml',
	'.yml',
	'.toml',
	'.sql',
	'.log'
].join(',');

export interface AttachmentDto {
	/** 128 random bits, base64url. */
	id: string;
	name: string;
	/** The type Hearth read from the bytes. */
	type: string;
	size: number;
	kind: AttachmentKind;
	/** Documents: the estimated prompt tokens of the extracted text; images: a fixed figure. */
	tokens?: number;
}

export const ATTACHMENT_ID = /^[A-Za-z0-9_-]{22}$/;

/** The refusal for a set of files that break a per-message limit, or null. */
export function messageLimitProblem(sizes: readonly number[]): string | null {
	if (sizes.length > MAX_ATTACHMENTS_PER_MESSAGE)
		return `At most ${MAX_ATTACHMENTS_PER_MESSAGE} files per message`;
	const total = sizes.reduce((sum, size) => sum + size, 0);
	if (total > MAX_MESSAGE_ATTACHMENT_BYTES)
		return `At most ${MAX_MESSAGE_ATTACHMENT_BYTES / 1024 / 1024} MB of files per message`;
	return null;
}

export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
