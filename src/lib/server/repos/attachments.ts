import type { Executor } from '$lib/server/db/database';
import type { Attachment, NewAttachment } from '$lib/server/db/schema';

/** Every column but the bytes. */
const META = ['id', 'user_id', 'name', 'type', 'kind', 'size', 'tokens', 'created_at'] as const;
export type AttachmentMeta = Pick<Attachment, (typeof META)[number]>;

export async function insertAttachment(db: Executor, values: NewAttachment): Promise<void> {
	await db.insertInto('attachment').values(values).execute();
}

export function findAttachment(
	db: Executor,
	userId: number,
	id: string
): Promise<Attachment | undefined> {
	return db
		.selectFrom('attachment')
		.selectAll()
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
}

/** The extracted text of one of the user's documents. */
export function findAttachmentText(db: Executor, userId: number, id: string) {
	return db
		.selectFrom('attachment')
		.select(['id', 'name', 'kind', 'text'])
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
}

/** Those of `ids` that are the user's, without their bytes. */
export function listAttachmentMeta(
	db: Executor,
	userId: number,
	ids: readonly string[]
): Promise<AttachmentMeta[]> {
	if (ids.length === 0) return Promise.resolve([]);
	return db
		.selectFrom('attachment')
		.select(META)
		.where('user_id', '=', userId)
		.where('id', 'in', ids)
		.execute();
}

export async function linkAttachments(
	db: Executor,
	messageId: number,
	ids: readonly string[]
): Promise<void> {
	if (ids.length === 0) return;
	await db
		.insertInto('message_attachment')
		.values(ids.map((id, position) => ({ message_id: messageId, attachment_id: id, position })))
		.execute();
}

/** The attachments of `messageIds`, without bytes, in attached order. */
export function listMessageAttachments(
	db: Executor,
	messageIds: readonly number[]
): Promise<(AttachmentMeta & { message_id: number })[]> {
	if (messageIds.length === 0) return Promise.resolve([]);
	return db
		.selectFrom('message_attachment as ma')
		.innerJoin('attachment as a', 'a.id', 'ma.attachment_id')
		.select(['ma.message_id', ...META.map((c) => `a.${c}` as const)])
		.where('ma.message_id', 'in', messageIds)
		.orderBy('ma.message_id')
		.orderBy('ma.position')
		.execute();
}

/** What a prompt needs of the attachments of `messageIds`: documents' text, images' bytes. */
export function listPromptAttachments(db: Executor, messageIds: readonly number[]) {
	if (messageIds.length === 0) return Promise.resolve([]);
	return db
		.selectFrom('message_attachment as ma')
		.innerJoin('attachment as a', 'a.id', 'ma.attachment_id')
		.select(['ma.message_id', 'a.name', 'a.type', 'a.kind', 'a.text', 'a.data'])
		.where('ma.message_id', 'in', messageIds)
		.orderBy('ma.message_id')
		.orderBy('ma.position')
		.execute();
}

/** The attachment ids linked from the messages of a conversation. */
export async function conversationAttachmentIds(
	db: Executor,
	conversationId: number
): Promise<string[]> {
	const rows = await db
		.selectFrom('message_attachment as ma')
		.innerJoin('message as m', 'm.id', 'ma.message_id')
		.select('ma.attachment_id')
		.distinct()
		.where('m.conversation_id', '=', conversationId)
		.execute();
	return rows.map((r) => r.attachment_id);
}

/** Deletes those of `ids` that no message links any more. */
export async function deleteUnlinked(db: Executor, ids: readonly string[]): Promise<number> {
	if (ids.length === 0) return 0;
	const result = await db
		.deleteFrom('attachment')
		.where('id', 'in', ids)
		.where(({ not, exists, selectFrom }) =>
			not(
				exists(
					selectFrom('message_attachment')
						.select('message_attachment.attachment_id')
						.whereRef('message_attachment.attachment_id', '=', 'attachment.id')
				)
			)
		)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}

/** How many uploads of the user no message links yet, and their bytes. */
export async function unsentUploadTotals(
	db: Executor,
	userId: number
): Promise<{ count: number; bytes: number }> {
	const row = await db
		.selectFrom('attachment')
		.select(({ fn }) => [fn.countAll<number>().as('n'), fn.sum<number>('size').as('bytes')])
		.where('user_id', '=', userId)
		.where(({ not, exists, selectFrom }) =>
			not(
				exists(
					selectFrom('message_attachment')
						.select('message_attachment.attachment_id')
						.whereRef('message_attachment.attachment_id', '=', 'attachment.id')
				)
			)
		)
		.executeTakeFirstOrThrow();
	return { count: Number(row.n), bytes: Number(row.bytes ?? 0) };
}

/** Deletes the user's uploads that were never sent and are older than `before`. */
export async function deleteStaleUploads(
	db: Executor,
	userId: number,
	before: number
): Promise<void> {
	await db
		.deleteFrom('attachment')
		.where('user_id', '=', userId)
		.where('created_at', '<', before)
		.where(({ not, exists, selectFrom }) =>
			not(
				exists(
					selectFrom('message_attachment')
						.select('message_attachment.attachment_id')
						.whereRef('message_attachment.attachment_id', '=', 'attachment.id')
				)
			)
		)
		.execute();
}

/** Links the attachments of message `from` to message `to` too (a branch's copy). */
export async function copyLinks(db: Executor, from: number, to: number): Promise<void> {
	const rows = await db
		.selectFrom('message_attachment')
		.select(['attachment_id', 'position'])
		.where('message_id', '=', from)
		.execute();
	if (rows.length === 0) return;
	await db
		.insertInto('message_attachment')
		.values(
			rows.map((r) => ({ message_id: to, attachment_id: r.attachment_id, position: r.position }))
		)
		.execute();
}
