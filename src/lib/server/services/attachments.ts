// Attachments of one user: an upload is typed from its bytes, its text extracted (documents)
// and stored whole in one row, or refused with nothing stored; reads and links carry the owner,
// so another user's id is simply not found. Unsent uploads older than a day are swept at upload.
import { randomBytes } from 'node:crypto';
import type { Database, Executor } from '$lib/server/db/database';
import type { Attachment } from '$lib/server/db/schema';
import { extractText } from '$lib/server/attachments/extract';
import { sniffAttachment } from '$lib/server/attachments/sniff';
import * as repo from '$lib/server/repos/attachments';
import { lockUser } from '$lib/server/repos/users';
import { attachmentTokens } from '$lib/server/services/attachments-prompt';
import type { PromptAttachment } from '$lib/server/services/attachments-prompt';
import {
	MAX_ATTACHMENT_BYTES,
	MAX_ATTACHMENTS_PER_MESSAGE,
	MAX_MESSAGE_ATTACHMENT_BYTES,
	messageLimitProblem,
	type AttachmentDto
} from '$lib/shared/attachments';

export const MAX_ATTACHMENT_NAME_CHARS = 200;
/** Uploads never sent with a message are deleted after this. */
export const UNSENT_UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
/** Uploads waiting to be sent, per user: room for two full messages, so no one fills the disk. */
export const MAX_UNSENT_UPLOADS = 2 * MAX_ATTACHMENTS_PER_MESSAGE;
export const MAX_UNSENT_UPLOAD_BYTES = 2 * MAX_MESSAGE_ATTACHMENT_BYTES;

type Fail<C extends string> = { ok: false; code: C; message: string };
export type UploadFailure =
	| 'empty_file'
	| 'too_large'
	| 'unsupported_type'
	| 'type_mismatch'
	| 'no_text_layer'
	| 'encrypted'
	| 'corrupt'
	| 'too_complex'
	| 'too_many_uploads';
export type UploadResult = { ok: true; attachment: AttachmentDto } | Fail<UploadFailure>;

/** A stored name: no path, no control characters, bounded. */
export function cleanName(raw: string): string {
	const base = raw.split(/[\\/]/).pop() ?? '';
	// eslint-disable-next-line no-control-regex
	const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
	return (clean || 'file').slice(0, MAX_ATTACHMENT_NAME_CHARS);
}

export function toAttachmentDto(row: repo.AttachmentMeta): AttachmentDto {
	return {
		id: row.id,
		name: row.name,
		type: row.type,
		size: row.size,
		kind: row.kind,
		...(row.tokens !== null ? { tokens: row.tokens } : {})
	};
}

export async function uploadAttachment(
	db: Database,
	userId: number,
	file: { name: string; bytes: Uint8Array },
	now = Date.now()
): Promise<UploadResult> {
	const name = cleanName(file.name);
	if (file.bytes.byteLength > MAX_ATTACHMENT_BYTES)
		return {
			ok: false,
			code: 'too_large',
			message: `Files can be at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`
		};
	const sniffed = await sniffAttachment(name, file.bytes);
	if (!sniffed.ok) return sniffed;
	let text: string | null = null;
	if (sniffed.format) {
		const extracted = await extractText(sniffed.format, file.bytes);
		if (!extracted.ok) return extracted;
		text = extracted.text;
	}
	const row = {
		id: randomBytes(16).toString('base64url'),
		user_id: userId,
		name,
		type: sniffed.type,
		kind: sniffed.kind,
		size: file.bytes.byteLength,
		data: file.bytes,
		text,
		tokens: attachmentTokens({ kind: sniffed.kind, name, text }),
		created_at: now
	};
	await repo.deleteStaleUploads(db, userId, now - UNSENT_UPLOAD_TTL_MS);
	const refused = await db.transaction().execute(async (trx) => {
		await lockUser(trx, userId);
		const unsent = await repo.unsentUploadTotals(trx, userId);
		if (unsent.count >= MAX_UNSENT_UPLOADS || unsent.bytes + row.size > MAX_UNSENT_UPLOAD_BYTES)
			return {
				ok: false as const,
				code: 'too_many_uploads' as const,
				message: `At most ${MAX_UNSENT_UPLOADS} files (${MAX_UNSENT_UPLOAD_BYTES / 1024 / 1024} MB) can wait to be sent; send or wait for older uploads to expire`
			};
		await repo.insertAttachment(trx, row);
		return null;
	});
	if (refused) return refused;
	return { ok: true, attachment: toAttachmentDto(row) };
}

export function readAttachment(
	db: Database,
	userId: number,
	id: string
): Promise<Attachment | undefined> {
	return repo.findAttachment(db, userId, id);
}

/** A document's extracted text for the preview sheet; images have none. */
export async function readAttachmentText(
	db: Database,
	userId: number,
	id: string
): Promise<{ name: string; text: string } | null> {
	const row = await repo.findAttachmentText(db, userId, id);
	return row && row.kind === 'document' ? { name: row.name, text: row.text ?? '' } : null;
}

export type CheckedAttachments =
	{ ok: true; attachments: repo.AttachmentMeta[] } | Fail<'not_found' | 'invalid'>;

/** The user's attachments `ids` in order, if all exist and fit one message's limits. */
export async function checkMessageAttachments(
	db: Executor,
	userId: number,
	ids: readonly string[]
): Promise<CheckedAttachments> {
	if (new Set(ids).size !== ids.length)
		return { ok: false, code: 'invalid', message: 'attachments: an id is listed twice' };
	if (ids.length > MAX_ATTACHMENTS_PER_MESSAGE)
		return {
			ok: false,
			code: 'invalid',
			message: `attachments: at most ${MAX_ATTACHMENTS_PER_MESSAGE} files per message`
		};
	const found = new Map((await repo.listAttachmentMeta(db, userId, ids)).map((a) => [a.id, a]));
	const attachments = ids.map((id) => found.get(id));
	if (attachments.some((a) => !a))
		return { ok: false, code: 'not_found', message: 'attachments: no such attachment' };
	const rows = attachments as repo.AttachmentMeta[];
	const problem = messageLimitProblem(rows.map((a) => a.size));
	if (problem) return { ok: false, code: 'invalid', message: `attachments: ${problem}` };
	return { ok: true, attachments: rows };
}

export function linkMessageAttachments(db: Executor, messageId: number, ids: readonly string[]) {
	return repo.linkAttachments(db, messageId, ids);
}

/** The attachments of each of `messageIds` that has any, as DTOs. */
export async function attachmentsByMessage(
	db: Executor,
	messageIds: readonly number[]
): Promise<Map<number, AttachmentDto[]>> {
	const byMessage = new Map<number, AttachmentDto[]>();
	for (const row of await repo.listMessageAttachments(db, messageIds)) {
		const list = byMessage.get(row.message_id) ?? [];
		list.push(toAttachmentDto(row));
		byMessage.set(row.message_id, list);
	}
	return byMessage;
}

/** What the prompt of `messageIds` needs of their attachments, by message. */
export async function promptAttachments(
	db: Executor,
	messageIds: readonly number[]
): Promise<Map<number, PromptAttachment[]>> {
	const byMessage = new Map<number, PromptAttachment[]>();
	for (const row of await repo.listPromptAttachments(db, messageIds)) {
		const list = byMessage.get(row.message_id) ?? [];
		list.push(row);
		byMessage.set(row.message_id, list);
	}
	return byMessage;
}
