// Personal API keys (table api_token): only a SHA-256 of each secret is stored.
import type { Executor } from '$lib/server/db/database';
import type { ApiToken, NewApiToken } from '$lib/server/db/schema';

export type ApiKeyRow = ApiToken & { username: string };

export async function insertApiKey(db: Executor, row: NewApiToken): Promise<ApiToken> {
	return db.insertInto('api_token').values(row).returningAll().executeTakeFirstOrThrow();
}

/** A live key's row and its owner, by the hash of the secret presented. */
export function findApiKeyByHash(
	db: Executor,
	hash: string
): Promise<(ApiKeyRow & { role: 'admin' | 'user' }) | undefined> {
	return db
		.selectFrom('api_token')
		.innerJoin('user', 'user.id', 'api_token.user_id')
		.selectAll('api_token')
		.select(['user.username', 'user.role'])
		.where('api_token.token_hash', '=', hash)
		.executeTakeFirst();
}

/** Keys not revoked: one user's, or everyone's when `userId` is null; newest first. */
export function listApiKeys(db: Executor, userId: number | null): Promise<ApiKeyRow[]> {
	let query = db
		.selectFrom('api_token')
		.innerJoin('user', 'user.id', 'api_token.user_id')
		.selectAll('api_token')
		.select('user.username')
		.where('api_token.revoked_at', 'is', null);
	if (userId !== null) query = query.where('api_token.user_id', '=', userId);
	return query.orderBy('api_token.id', 'desc').execute();
}

export function countLiveApiKeys(db: Executor, userId: number): Promise<number> {
	return db
		.selectFrom('api_token')
		.select(({ fn }) => fn.countAll<number>().as('n'))
		.where('user_id', '=', userId)
		.where('revoked_at', 'is', null)
		.executeTakeFirstOrThrow()
		.then((r) => Number(r.n));
}

/** Revokes a live key (of `userId` only, unless null: the admin); the row, or undefined. */
export function revokeApiKey(
	db: Executor,
	id: number,
	userId: number | null,
	now: number
): Promise<ApiToken | undefined> {
	let query = db
		.updateTable('api_token')
		.set({ revoked_at: now })
		.where('id', '=', id)
		.where('revoked_at', 'is', null);
	if (userId !== null) query = query.where('user_id', '=', userId);
	return query.returningAll().executeTakeFirst();
}

/** Stamps the last use unless it was stamped after `staleBefore` (one write a minute at most). */
export async function touchApiKey(
	db: Executor,
	id: number,
	now: number,
	staleBefore: number
): Promise<void> {
	await db
		.updateTable('api_token')
		.set({ last_used_at: now })
		.where('id', '=', id)
		.where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', staleBefore)]))
		.execute();
}
