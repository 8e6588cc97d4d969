import type { Executor } from '$lib/server/db/database';
import type { Conversation } from '$lib/server/db/schema';

export function findConversation(
	db: Executor,
	userId: number,
	id: number
): Promise<Conversation | undefined> {
	return db
		.selectFrom('conversation')
		.selectAll()
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.where('deleted_at', 'is', null)
		.executeTakeFirst();
}

/** Which conversation each of `ids` was branched from (null: not a branch). */
export function parentConversations(
	db: Executor,
	userId: number,
	ids: number[]
): Promise<{ id: number; parent_conversation_id: number | null }[]> {
	if (ids.length === 0) return Promise.resolve([]);
	return db
		.selectFrom('conversation')
		.select(['id', 'parent_conversation_id'])
		.where('user_id', '=', userId)
		.where('id', 'in', ids)
		.execute();
}

export function listConversations(
	db: Executor,
	userId: number,
	limit: number,
	before: number | null
) {
	let query = db
		.selectFrom('conversation')
		.select(['id', 'title', 'updated_at', 'pinned_at'])
		.where('user_id', '=', userId)
		.where('deleted_at', 'is', null);
	if (before !== null) query = query.where('updated_at', '<', before);
	return query.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export function insertConversation(
	db: Executor,
	values: {
		user_id: number;
		title: string;
		model: string | null;
		system_prompt: string | null;
		settings: string;
		parent_conversation_id?: number | null;
		branch_message_id?: number | null;
		now: number;
		/** Imports keep the source's dates and pin. */
		updated_at?: number;
		pinned_at?: number | null;
	}
) {
	return db
		.insertInto('conversation')
		.values({
			user_id: values.user_id,
			title: values.title,
			model: values.model,
			system_prompt: values.system_prompt,
			settings: values.settings,
			parent_conversation_id: values.parent_conversation_id ?? null,
			branch_message_id: values.branch_message_id ?? null,
			created_at: values.now,
			updated_at: values.updated_at ?? values.now,
			pinned_at: values.pinned_at ?? null
		})
		.returningAll()
		.executeTakeFirstOrThrow();
}

export async function updateConversation(
	db: Executor,
	userId: number,
	id: number,
	set: Partial<
		Pick<
			Conversation,
			'title' | 'model' | 'system_prompt' | 'settings' | 'pinned_at' | 'updated_at' | 'deleted_at'
		>
	>
): Promise<boolean> {
	const result = await db
		.updateTable('conversation')
		.set(set)
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.where('deleted_at', 'is', null)
		.executeTakeFirst();
	return result.numUpdatedRows > 0n;
}

/** Marks a conversation changed at `now` (a reply to it ended), whoever owns it. */
export async function touchConversation(db: Executor, id: number, now: number) {
	await db.updateTable('conversation').set({ updated_at: now }).where('id', '=', id).execute();
}

export async function deleteConversation(
	db: Executor,
	userId: number,
	id: number
): Promise<boolean> {
	const result = await db
		.deleteFrom('conversation')
		.where('id', '=', id)
		.where('user_id', '=', userId)
		.executeTakeFirst();
	return result.numDeletedRows > 0n;
}

/** Summaries of those of `ids` that are the user's and still exist. */
export function listConversationsById(db: Executor, userId: number, ids: number[]) {
	if (ids.length === 0) return Promise.resolve([]);
	return db
		.selectFrom('conversation')
		.select(['id', 'title', 'updated_at', 'pinned_at'])
		.where('user_id', '=', userId)
		.where('deleted_at', 'is', null)
		.where('id', 'in', ids)
		.execute();
}

/** One page of the user's conversations in id order, after `afterId` (exports walk them all). */
export function listConversationsAfter(
	db: Executor,
	userId: number,
	afterId: number,
	limit: number
): Promise<Conversation[]> {
	return db
		.selectFrom('conversation')
		.selectAll()
		.where('user_id', '=', userId)
		.where('deleted_at', 'is', null)
		.where('id', '>', afterId)
		.orderBy('id')
		.limit(limit)
		.execute();
}
