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

export function listConversationMessages(db: Executor, conversationId: number): Promise<Message[]> {
	return db
		.selectFrom('message')
		.selectAll()
		.where('conversation_id', '=', conversationId)
		.orderBy('id')
		.execute();
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
	const all = await listConversationMessages(db, conversationId);
	const byId = new Map(all.map((m) => [m.id, m]));
	const path: Message[] = [];
	for (
		let m = byId.get(messageId);
		m;
		m = m.parent_id === null ? undefined : byId.get(m.parent_id)
	) {
		path.push(m);
		if (path.length > all.length) break;
	}
	return path.reverse();
}
