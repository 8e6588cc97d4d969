import { createQueryId, type CompiledQuery } from 'kysely';
import type { Executor } from '$lib/server/db/database';
import type { NewSession, Session, User } from '$lib/server/db/schema';

export async function insertSession(db: Executor, session: NewSession): Promise<void> {
	await db.insertInto('session').values(session).execute();
}

/** A session with what a request needs of its user. */
export type SessionWithUser = Session & {
	username: string;
	role: User['role'];
	totp_confirmed_at: number | null;
	has_passkey: unknown;
};

function sessionLookup(db: Executor, sessionId: string) {
	return db
		.selectFrom('session')
		.innerJoin('user', 'user.id', 'session.user_id')
		.leftJoin('totp_credential', 'totp_credential.user_id', 'session.user_id')
		.select([
			'session.id',
			'session.user_id',
			'session.expires_at',
			'session.created_at',
			'session.user_agent',
			'session.last_seen_at',
			'user.username',
			'user.role',
			'totp_credential.confirmed_at as totp_confirmed_at',
			(eb) =>
				eb
					.exists(
						eb
							.selectFrom('passkey')
							.select('passkey.id')
							.whereRef('passkey.user_id', '=', 'session.user_id')
					)
					.as('has_passkey')
		])
		.where('session.id', '=', sessionId);
}

/** Stands for the session id in the compiled lookup (a hex digest never equals it). */
const SESSION_ID_SLOT = '\0session-id';
/**
 * The lookup every request makes, its SQL built and compiled once per database: Kysely builds
 * and compiles a query anew on each call (~40–80 µs for this one, ~7 µs to run it). The SQL is
 * kept, never a result: a revoked session fails on the next request.
 */
const compiledLookups = new WeakMap<Executor, CompiledQuery<SessionWithUser>>();

export async function findSessionWithUser(
	db: Executor,
	sessionId: string
): Promise<SessionWithUser | undefined> {
	let compiled = compiledLookups.get(db);
	if (!compiled) {
		compiled = sessionLookup(db, SESSION_ID_SLOT).compile() as CompiledQuery<SessionWithUser>;
		compiledLookups.set(db, compiled);
	}
	const parameters = compiled.parameters.map((p) => (p === SESSION_ID_SLOT ? sessionId : p));
	const query: CompiledQuery<SessionWithUser> = {
		...compiled,
		queryId: createQueryId(),
		parameters
	};
	return (await db.executeQuery(query)).rows[0];
}

export async function updateSessionUse(
	db: Executor,
	sessionId: string,
	use: { expiresAt: number; lastSeenAt: number }
) {
	await db
		.updateTable('session')
		.set({ expires_at: use.expiresAt, last_seen_at: use.lastSeenAt })
		.where('id', '=', sessionId)
		.execute();
}

/** A user's live sessions (unordered: NULL last-seen sorts differently per dialect). */
export function listUserSessions(db: Executor, userId: number, now: number): Promise<Session[]> {
	return db
		.selectFrom('session')
		.selectAll()
		.where('user_id', '=', userId)
		.where('expires_at', '>', now)
		.execute();
}

/** Deletes the user's sessions among `sessionIds` (owner-scoped); returns how many went. */
export async function deleteUserSessionsById(
	db: Executor,
	userId: number,
	sessionIds: readonly string[]
): Promise<number> {
	if (sessionIds.length === 0) return 0;
	const result = await db
		.deleteFrom('session')
		.where('user_id', '=', userId)
		.where('id', 'in', sessionIds)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}

/** Ends every session of the user but `keepId`; returns how many went. */
export async function deleteOtherSessions(
	db: Executor,
	userId: number,
	keepId: string
): Promise<number> {
	const result = await db
		.deleteFrom('session')
		.where('user_id', '=', userId)
		.where('id', '!=', keepId)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}

export async function deleteSession(db: Executor, sessionId: string): Promise<void> {
	await db.deleteFrom('session').where('id', '=', sessionId).execute();
}

export async function deleteUserSessions(db: Executor, userId: number): Promise<number> {
	const result = await db.deleteFrom('session').where('user_id', '=', userId).executeTakeFirst();
	return Number(result.numDeletedRows);
}

/** Ends the user's oldest sessions so that `keepId` and the newest others make `keep` in all. */
export async function deleteSessionsBeyondNewest(
	db: Executor,
	userId: number,
	keepId: string,
	keep: number
): Promise<void> {
	const newest = db
		.selectFrom('session')
		.select('id')
		.where('user_id', '=', userId)
		.where('id', '!=', keepId)
		.orderBy('created_at', 'desc')
		.orderBy('id')
		.limit(keep - 1);
	await db
		.deleteFrom('session')
		.where('user_id', '=', userId)
		.where('id', '!=', keepId)
		.where('id', 'not in', newest)
		.execute();
}

export async function deleteExpiredSessions(db: Executor, now: number): Promise<number> {
	const result = await db.deleteFrom('session').where('expires_at', '<=', now).executeTakeFirst();
	return Number(result.numDeletedRows);
}

/** Which of these sessions still exist and have not expired. */
export async function findLiveSessionIds(
	db: Executor,
	sessionIds: readonly string[],
	now: number
): Promise<Set<string>> {
	if (sessionIds.length === 0) return new Set();
	const rows = await db
		.selectFrom('session')
		.select('id')
		.where('id', 'in', sessionIds)
		.where('expires_at', '>', now)
		.execute();
	return new Set(rows.map((row) => row.id));
}
