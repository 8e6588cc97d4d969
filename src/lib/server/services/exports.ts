// Taking data out: one conversation as Markdown, Hearth JSON or PDF, and all of a user's data as
// one ZIP streamed as it is built (conversations read a page at a time; the prompts and presets
// ride in hearth.json's envelope). Owner-scoped throughout.
import type { Database } from '$lib/server/db/database';
import type { Conversation, Message } from '$lib/server/db/schema';
import { findConversation, listConversationsAfter } from '$lib/server/repos/conversations';
import { listMessagesBetween } from '$lib/server/repos/messages';
import { branchTo, defaultLeafId } from '$lib/server/exports/branch';
import { hearthExportJson, toHearthConversation } from '$lib/server/exports/hearth-format';
import { conversationMarkdown, titleOf } from '$lib/server/exports/markdown';
import { conversationPdf } from '$lib/server/exports/pdf';
import { ZipWriter } from '$lib/server/exports/zip';
import { exportLibrary } from '$lib/server/services/prompts';

export const EXPORT_FORMATS = ['md', 'json', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const CONTENT_TYPES: Record<ExportFormat, string> = {
	md: 'text/markdown; charset=utf-8',
	json: 'application/json; charset=utf-8',
	pdf: 'application/pdf'
};
export const ARCHIVE_CONTENT_TYPE = 'application/zip';
export const ARCHIVE_PAGE_SIZE = 50;
const FILENAME_MAX_CHARS = 80;
/** pdfkit draws about 0.5 M characters a second here (slower on a Pi); past this, use Markdown. */
export const PDF_MAX_CHARS = 1_000_000;

export type ExportResult =
	| { ok: true; filename: string; contentType: string; body: Uint8Array<ArrayBuffer> }
	| { ok: false; code: 'not_found' | 'too_large'; message: string };

/** A filename made from a title: letters, digits, dot, dash and underscore only, never empty. */
export function safeFilename(title: string, extension: string): string {
	const stem = title
		.normalize('NFKD')
		.replace(/\s+/g, ' ')
		.replace(/[^\w .-]+/g, '')
		.trim()
		.replace(/\s+/g, '-')
		.replace(/^[.-]+/, '')
		.slice(0, FILENAME_MAX_CHARS);
	return `${stem || 'conversation'}.${extension}`;
}

/**
 * One conversation as a file. `leafId` names the last message of the branch on screen (md and
 * pdf export that branch; JSON always holds the whole tree). Another user's id is not found.
 */
export async function exportConversation(
	db: Database,
	userId: number,
	id: number,
	format: ExportFormat,
	leafId: number | null = null
): Promise<ExportResult> {
	const row = await findConversation(db, userId, id);
	if (!row) return { ok: false, code: 'not_found', message: 'No such conversation' };
	const messages = await listMessagesBetween(db, id, 0, null);
	const leaf = leafId !== null && messages.some((m) => m.id === leafId) ? leafId : null;
	const filename = safeFilename(titleOf(row), format);
	const encode = (text: string) => new TextEncoder().encode(text);
	switch (format) {
		case 'md':
			return {
				ok: true,
				filename,
				contentType: CONTENT_TYPES.md,
				body: encode(conversationMarkdown(row, branchTo(messages, leaf)))
			};
		case 'pdf': {
			const branch = branchTo(messages, leaf);
			const chars = branch.reduce((n, m) => n + m.content.length + (m.reasoning?.length ?? 0), 0);
			if (chars > PDF_MAX_CHARS)
				return {
					ok: false,
					code: 'too_large',
					message: `Too long for a PDF (over ${PDF_MAX_CHARS} characters); export it as Markdown`
				};
			return {
				ok: true,
				filename,
				contentType: CONTENT_TYPES.pdf,
				body: new Uint8Array(await conversationPdf(row, branch))
			};
		}
		case 'json': {
			const tree = toHearthConversation(row, messages, leaf ?? defaultLeafId(messages));
			let text = '';
			for await (const piece of hearthExportJson([tree], Date.now())) text += piece;
			return { ok: true, filename, contentType: CONTENT_TYPES.json, body: encode(text) };
		}
	}
}

async function* conversationTrees(
	db: Database,
	userId: number
): AsyncGenerator<{ row: Conversation; messages: Message[] }> {
	for (let after = 0; ;) {
		const page = await listConversationsAfter(db, userId, after, ARCHIVE_PAGE_SIZE);
		for (const row of page) yield { row, messages: await listMessagesBetween(db, row.id, 0, null) };
		if (page.length < ARCHIVE_PAGE_SIZE) return;
		after = page.at(-1)!.id;
	}
}

async function* hearthConversations(db: Database, userId: number) {
	for await (const { row, messages } of conversationTrees(db, userId))
		yield toHearthConversation(row, messages, defaultLeafId(messages));
}

/** The archive's bytes, produced as they are pulled: hearth.json, then one Markdown file each. */
export async function* archiveChunks(
	db: Database,
	userId: number,
	exportedAt: number
): AsyncGenerator<Uint8Array> {
	const zip = new ZipWriter();
	const json = zip.open('hearth.json', exportedAt);
	const library = await exportLibrary(db, userId);
	for await (const piece of hearthExportJson(
		hearthConversations(db, userId),
		exportedAt,
		library
	)) {
		json.write(piece);
		yield* zip.drain();
	}
	json.end();
	for await (const { row, messages } of conversationTrees(db, userId)) {
		const name = `conversations/${row.id}-${safeFilename(titleOf(row), 'md')}`;
		zip.add(name, conversationMarkdown(row, branchTo(messages)), row.updated_at);
		yield* zip.drain();
	}
	zip.end();
	yield* zip.drain();
}

/** Users whose archive is being written: one at a time each, as it reads their whole history. */
const archivesRunning = new Set<number>();

export type ArchiveResult =
	| { ok: true; filename: string; contentType: string; body: ReadableStream<Uint8Array> }
	| { ok: false; code: 'busy'; message: string };

export function exportArchive(db: Database, userId: number, now = Date.now()): ArchiveResult {
	if (archivesRunning.has(userId))
		return { ok: false, code: 'busy', message: 'An export of your data is already running' };
	archivesRunning.add(userId);
	const release = () => archivesRunning.delete(userId);
	const chunks = archiveChunks(db, userId, now);
	const body = new ReadableStream<Uint8Array>({
		async pull(controller) {
			try {
				const next = await chunks.next();
				if (next.done) {
					release();
					controller.close();
				} else controller.enqueue(next.value);
			} catch (error) {
				release();
				controller.error(error);
			}
		},
		async cancel() {
			release();
			await chunks.return(undefined);
		}
	});
	const date = new Date(now).toISOString().slice(0, 10);
	return {
		ok: true,
		filename: `hearth-export-${date}.zip`,
		contentType: ARCHIVE_CONTENT_TYPE,
		body
	};
}
