import type { Executor } from '$lib/server/db/database';
import type { Passkey } from '$lib/server/db/schema';

export function listUserPasskeys(db: Executor, userId: number): Promise<Passkey[]> {
	return db
		.selectFrom('passkey')
		.selectAll()
		.where('user_id', '=', userId)
		.orderBy('created_at')
		.execute();
}

export function findPasskey(db: Executor, id: string): Promise<Passkey | undefined> {
	return db.selectFrom('passkey').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertPasskey(db: Executor, row: Passkey): Promise<void> {
	await db.insertInto('passkey').values(row).execute();
}

/** Moves the signature counter forward only (a cloned authenticator would move it back). */
export async function usePasskey(
	db: Executor,
	id: string,
	counter: number,
	now: number
): Promise<void> {
	await db
		.updateTable('passkey')
		.set({ counter, last_used_at: now })
		.where('id', '=', id)
		.execute();
}

export async function deleteUserPasskey(
	db: Executor,
	userId: number,
	id: string
): Promise<boolean> {
	const result = await db
		.deleteFrom('passkey')
		.where('user_id', '=', userId)
		.where('id', '=', id)
		.executeTakeFirst();
	return Number(result.numDeletedRows) === 1;
}

export async function insertChallenge(
	db: Executor,
	row: { id: string; challenge: string; user_id: number | null; expires_at: number }
): Promise<void> {
	await db.insertInto('webauthn_challenge').values(row).execute();
}

/** Takes a challenge once: it is deleted as it is read, and only if unexpired. */
export async function takeChallenge(
	db: Executor,
	id: string,
	now: number
): Promise<{ challenge: string; user_id: number | null } | undefined> {
	const row = await db
		.deleteFrom('webauthn_challenge')
		.where('id', '=', id)
		.returning(['challenge', 'user_id', 'expires_at'])
		.executeTakeFirst();
	return row && Number(row.expires_at) > now ? row : undefined;
}

export async function deleteExpiredChallenges(db: Executor, now: number): Promise<number> {
	const result = await db
		.deleteFrom('webauthn_challenge')
		.where('expires_at', '<=', now)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}
