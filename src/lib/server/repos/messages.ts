import type { Executor } from '$lib/server/db/database';
import type { Message, MessageTable } from '$lib/server/db/schema';
import type { Insertable, Updateable } from 'kysely';

export function insertMessage(db: Executor, values: Insertable<MessageTable>): Promise<Message> {
	return db.insertInto('message').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateMessage(db: Executor, id: number, set: Updateable<MessageTable>) {
	await db.updateTable('message').set(set).where('id', '=', id).execute();
}

export function findMessage(
	db: Executor,
	userId: number,
	id: number
): Promise<Message | undefined> {
	return db
		.selectFrom('message')
		.selectAll()
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
}

export function findMessageByClientId(db: Executor, userId: number, clientId: string) {
	return db
		.selectFrom('message')
		.selectAll()
		.where('user_id', '=', userId)
		.where('client_id', '=', clientId)
		.executeTakeFirst();
}

export function latestMessage(db: Executor, conversationId: number): Promise<Message | undefined> {
	return db
		.selectFrom('message')
		.selectAll()
		.where('conversation_id', '=', conversationId)
		.orderBy('id', 'desc')
		.limit(1)
		.executeTakeFirst();
}

/** The path from the root to `messageId`, oldest first (the history a reply is written from). */
export async function messagePath(
	db: Executor,
	conversationId: number,
	messageId: number
): Promise<Message[]> {
	const rows = await db
		.withRecursive('path', (qb) =>
			qb
				.selectFrom('message')
				.selectAll()
				.where('id', '=', messageId)
				.where('conversation_id', '=', conversationId)
				.unionAll((up) =>
					up.selectFrom('message as m').innerJoin('path', 'path.parent_id', 'm.id').selectAll('m')
				)
		)
		.selectFrom('path')
		.selectAll()
		.execute();
	return (rows as Message[]).sort((a, b) => a.id - b.id);
}

/** A message on a prompt's path: what the prompt is built from. */
export type PathMessage = Pick<Message, 'id' | 'role' | 'content' | 'status'>;

/**
 * What a reply is written from, in one query: the path from the root to `messageId` (or to the
 * conversation's newest message), oldest first, and the conversation's system prompt.
 */
export async function promptPath(
	db: Executor,
	conversationId: number,
	messageId: number | 'latest'
): Promise<{
	systemPrompt: string | null;
	path: PathMessage[];
}> {
	const rows = await db
		.withRecursive('path', (qb) =>
			qb
				.selectFrom('message')
				.select(['id', 'parent_id', 'conversation_id', 'role', 'content', 'status'])
				.where(
					'id',
					'=',
					messageId === 'latest'
						? qb
								.selectFrom('message')
								.select((eb) => eb.fn.max('id').as('id'))
								.where('conversation_id', '=', conversationId)
						: messageId
				)
				.where('conversation_id', '=', conversationId)
				.unionAll((up) =>
					up
						.selectFrom('message as m')
						.innerJoin('path', 'path.parent_id', 'm.id')
						.select(['m.id', 'm.parent_id', 'm.conversation_id', 'm.role', 'm.content', 'm.status'])
				)
		)
		.selectFrom('path')
		.innerJoin('conversation', 'conversation.id', 'path.conversation_id')
		.select(['path.id', 'path.role', 'path.content', 'path.status', 'conversation.system_prompt'])
		.execute();
	const path = rows
		.map(({ id, role, content, status }) => ({ id, role, content, status }))
		.sort((a, b) => a.id - b.id);
	return { systemPrompt: rows[0]?.system_prompt ?? null, path };
}

/** How many messages a conversation holds and how many characters of content in all. */
/**
 * A conversation's message count and the size of its texts: in UTF-8 bytes (`octet_length` reads
 * each row's stored length, not its text) or, exactly, in characters (reads every text).
 */
export async function conversationSize(
	db: Executor,
	conversationId: number,
	unit: 'bytes' | 'chars'
): Promise<{ messages: number; size: number }> {
	const row = await db
		.selectFrom('message')
		.select((eb) => [
			eb.fn.countAll<number | string>().as('messages'),
			eb.fn
				.coalesce(
					eb.fn.sum<number | string | null>(
						eb.fn(unit === 'bytes' ? 'octet_length' : 'length', ['content'])
					),
					eb.lit(0)
				)
				.as('size')
		])
		.where('conversation_id', '=', conversationId)
		.executeTakeFirstOrThrow();
	return { messages: Number(row.messages), size: Number(row.size) };
}

/** The newest messages of a conversation (older than `before`), newest first: ids and sizes. */
export function listMessageSizes(
	db: Executor,
	conversationId: number,
	before: number | null,
	limit: number
): Promise<{ id: number; chars: number }[]> {
	let query = db
		.selectFrom('message')
		.select((eb) => [
			'id',
			eb(
				eb.fn('length', ['content']),
				'+',
				eb.fn('length', [eb.fn.coalesce('reasoning', eb.val(''))])
			).as('chars')
		])
		.where('conversation_id', '=', conversationId);
	if (before !== null) query = query.where('id', '<', before);
	return query
		.orderBy('id', 'desc')
		.limit(limit)
		.execute()
		.then((rows) => rows.map((r) => ({ id: r.id, chars: Number(r.chars) })));
}

/** A conversation's messages with ids in [from, before), oldest first (from 0: all of them; a conversation is capped in size). */
export function listMessagesBetween(
	db: Executor,
	conversationId: number,
	from: number,
	before: number | null
): Promise<Message[]> {
	let query = db
		.selectFrom('message')
		.selectAll()
		.where('conversation_id', '=', conversationId)
		.where('id', '>=', from);
	if (before !== null) query = query.where('id', '<', before);
	return query.orderBy('id').execute();
}
