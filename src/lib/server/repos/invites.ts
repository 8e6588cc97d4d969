import type { Executor } from '$lib/server/db/database';
import type { Invite, NewInvite } from '$lib/server/db/schema';

export function insertInvite(db: Executor, invite: NewInvite): Promise<Invite> {
	return db.insertInto('invite').values(invite).returningAll().executeTakeFirstOrThrow();
}

export function findUsableInvite(
	db: Executor,
	tokenHash: string,
	now: number
): Promise<Invite | undefined> {
	return db
		.selectFrom('invite')
		.selectAll()
		.where('token_hash', '=', tokenHash)
		.where('used_at', 'is', null)
		.where('expires_at', '>', now)
		.executeTakeFirst();
}

/** Marks the invite used; false when another request used it first (one-time, race-safe). */
export async function claimInvite(
	db: Executor,
	inviteId: number,
	userId: number,
	now: number
): Promise<boolean> {
	const result = await db
		.updateTable('invite')
		.set({ used_at: now, used_by: userId })
		.where('id', '=', inviteId)
		.where('used_at', 'is', null)
		.where('expires_at', '>', now)
		.executeTakeFirst();
	return result.numUpdatedRows === 1n;
}

export function listOpenInvites(db: Executor, now: number): Promise<Invite[]> {
	return db
		.selectFrom('invite')
		.selectAll()
		.where('used_at', 'is', null)
		.where('expires_at', '>', now)
		.orderBy('created_at', 'desc')
		.execute();
}

export async function deleteInvite(db: Executor, inviteId: number): Promise<boolean> {
	const result = await db
		.deleteFrom('invite')
		.where('id', '=', inviteId)
		.where('used_at', 'is', null)
		.executeTakeFirst();
	return result.numDeletedRows > 0n;
}
