import type { Executor } from '$lib/server/db/database';
import type { TotpCredential } from '$lib/server/db/schema';

export function findTotpCredential(
	db: Executor,
	userId: number
): Promise<TotpCredential | undefined> {
	return db
		.selectFrom('totp_credential')
		.selectAll()
		.where('user_id', '=', userId)
		.executeTakeFirst();
}

/** Starts (or restarts) an enrolment: a new, unconfirmed secret replaces an unconfirmed one. */
export async function saveUnconfirmedTotp(
	db: Executor,
	userId: number,
	secretSealed: string,
	now: number
): Promise<boolean> {
	const result = await db
		.insertInto('totp_credential')
		.values({ user_id: userId, secret_sealed: secretSealed, created_at: now })
		.onConflict((oc) =>
			oc
				.column('user_id')
				.doUpdateSet({ secret_sealed: secretSealed, created_at: now, last_used_step: null })
				.where('totp_credential.confirmed_at', 'is', null)
		)
		.executeTakeFirst();
	return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/**
 * Takes a time step for the user, once: true only if no step at or after it was used before.
 * One conditional UPDATE, so two requests with the same code cannot both pass.
 */
export async function claimTotpStep(db: Executor, userId: number, step: number): Promise<boolean> {
	const result = await db
		.updateTable('totp_credential')
		.set({ last_used_step: step })
		.where('user_id', '=', userId)
		.where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

export async function confirmTotp(db: Executor, userId: number, now: number): Promise<boolean> {
	const result = await db
		.updateTable('totp_credential')
		.set({ confirmed_at: now })
		.where('user_id', '=', userId)
		.where('confirmed_at', 'is', null)
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

export async function deleteTwoFactor(db: Executor, userId: number): Promise<boolean> {
	await db.deleteFrom('recovery_code').where('user_id', '=', userId).execute();
	const result = await db
		.deleteFrom('totp_credential')
		.where('user_id', '=', userId)
		.executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

export async function replaceRecoveryCodes(
	db: Executor,
	userId: number,
	codeHashes: readonly string[]
): Promise<void> {
	await db.deleteFrom('recovery_code').where('user_id', '=', userId).execute();
	await db
		.insertInto('recovery_code')
		.values(codeHashes.map((code_hash) => ({ user_id: userId, code_hash })))
		.execute();
}

/** Spends a recovery code, once (a conditional UPDATE: two requests cannot both spend it). */
export async function useRecoveryCode(
	db: Executor,
	userId: number,
	codeHash: string,
	now: number
): Promise<boolean> {
	const result = await db
		.updateTable('recovery_code')
		.set({ used_at: now })
		.where('user_id', '=', userId)
		.where('code_hash', '=', codeHash)
		.where('used_at', 'is', null)
		.executeTakeFirst();
	return Number(result.numUpdatedRows) === 1;
}

export async function countUnusedRecoveryCodes(db: Executor, userId: number): Promise<number> {
	const row = await db
		.selectFrom('recovery_code')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('user_id', '=', userId)
		.where('used_at', 'is', null)
		.executeTakeFirstOrThrow();
	return Number(row.n);
}

export async function insertPendingLogin(
	db: Executor,
	row: { id: string; user_id: number; expires_at: number }
): Promise<void> {
	await db.insertInto('pending_login').values(row).execute();
}

export async function findPendingLogin(
	db: Executor,
	id: string,
	now: number
): Promise<{ user_id: number } | undefined> {
	return db
		.selectFrom('pending_login')
		.select('user_id')
		.where('id', '=', id)
		.where('expires_at', '>', now)
		.executeTakeFirst();
}

/** Ends a pending sign-in; true for the one request that ended it. */
export async function deletePendingLogin(db: Executor, id: string): Promise<boolean> {
	const result = await db.deleteFrom('pending_login').where('id', '=', id).executeTakeFirst();
	return Number(result.numDeletedRows) === 1;
}

export async function deleteExpiredPendingLogins(db: Executor, now: number): Promise<number> {
	const result = await db
		.deleteFrom('pending_login')
		.where('expires_at', '<=', now)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}
