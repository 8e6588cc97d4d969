// What an uploaded file is, read from its bytes (file-type's magic numbers, then a strict UTF-8
// check for text): the client's Content-Type is never consulted, and a name whose extension
// promises another kind of file is refused rather than guessed around.
import { IMAGE_TYPES, type AttachmentKind } from '$lib/shared/attachments';

export type DocumentFormat = 'pdf' | 'docx' | 'text';
export type Sniffed =
	| { ok: true; kind: AttachmentKind; type: string; format: DocumentFormat | null }
	| { ok: false; code: 'empty_file' | 'unsupported_type' | 'type_mismatch'; message: string };

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'png', 'webp', 'gif', 'heic', 'heif', 'avif']);
/** Text types by extension; any other UTF-8 text is text/plain (source code, logs, …). */
const TEXT_TYPES: Record<string, string> = {
	md: 'text/markdown',
	markdown: 'text/markdown',
	csv: 'text/csv',
	json: 'application/json'
};

function extensionOf(name: string): string {
	const dot = name.lastIndexOf('.');
	return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

function isUtf8Text(bytes: Uint8Array): boolean {
	if (bytes.includes(0)) return false;
	try {
		new TextDecoder('utf-8', { fatal: true }).decode(bytes);
		return true;
	} catch {
		return false;
	}
}

const UNSUPPORTED = {
	ok: false as const,
	code: 'unsupported_type' as const,
	message:
		'Hearth takes images (JPEG, PNG, WebP, GIF), PDF, DOCX and text files (Markdown, CSV, JSON, code)'
};

/** The file's kind and type from its bytes; its name only has to agree with them. */
export async function sniffAttachment(name: string, bytes: Uint8Array): Promise<Sniffed> {
	if (bytes.byteLength === 0)
		return { ok: false, code: 'empty_file', message: 'The file is empty' };
	// Loaded on the first upload, not at start-up.
	const { fileTypeFromBuffer } = await import('file-type');
	const detected = await fileTypeFromBuffer(bytes);
	const extension = extensionOf(name);
	let sniffed: Sniffed;
	if (detected && (IMAGE_TYPES as readonly string[]).includes(detected.mime))
		sniffed = { ok: true, kind: 'image', type: detected.mime, format: null };
	else if (detected?.mime === 'application/pdf')
		sniffed = { ok: true, kind: 'document', type: detected.mime, format: 'pdf' };
	else if (detected?.mime === DOCX)
		sniffed = { ok: true, kind: 'document', type: DOCX, format: 'docx' };
	else if (!detected && isUtf8Text(bytes))
		sniffed = {
			ok: true,
			kind: 'document',
			type: TEXT_TYPES[extension] ?? 'text/plain',
			format: 'text'
		};
	else return UNSUPPORTED;

	const promised: AttachmentKind | 'pdf' | 'docx' | null = IMAGE_EXTENSIONS.has(extension)
		? 'image'
		: extension === 'pdf' || extension === 'docx'
			? extension
			: null;
	const actual =
		sniffed.format === 'pdf' || sniffed.format === 'docx' ? sniffed.format : sniffed.kind;
	if (promised && promised !== actual)
		return {
			ok: false,
			code: 'type_mismatch',
			message: `"${name}" is named as ${promised === 'image' ? 'an image' : `a ${promised.toUpperCase()}`} but its content is not`
		};
	return sniffed;
}
