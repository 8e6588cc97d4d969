import type { Executor } from '$lib/server/db/database';
import type { NewPushSubscription, PushSubscription } from '$lib/server/db/schema';

/**
 * Stores the subscription of `row.session_id`, replacing that session's previous one and taking
 * the endpoint from any other session (the browser now belongs to whoever signed in last).
 */
export async function putPushSubscription(db: Executor, row: NewPushSubscription) {
	await db
		.deleteFrom('push_subscription')
		.where((eb) =>
			eb.or([eb('session_id', '=', row.session_id), eb('endpoint', '=', row.endpoint)])
		)
		.execute();
	await db.insertInto('push_subscription').values(row).execute();
}

export function findSessionPushSubscription(
	db: Executor,
	sessionId: string
): Promise<PushSubscription | undefined> {
	return db
		.selectFrom('push_subscription')
		.selectAll()
		.where('session_id', '=', sessionId)
		.executeTakeFirst();
}

export async function deleteSessionPushSubscription(db: Executor, sessionId: string) {
	const result = await db
		.deleteFrom('push_subscription')
		.where('session_id', '=', sessionId)
		.executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/** The push service said the subscription is gone (404/410). */
export async function deletePushSubscriptionByEndpoint(db: Executor, endpoint: string) {
	await db.deleteFrom('push_subscription').where('endpoint', '=', endpoint).execute();
}

/** The subscriptions of a user's live sessions (an expired session not yet swept gets nothing). */
export function listLivePushSubscriptions(
	db: Executor,
	userId: number,
	now: number
): Promise<PushSubscription[]> {
	return db
		.selectFrom('push_subscription')
		.innerJoin('session', 'session.id', 'push_subscription.session_id')
		.selectAll('push_subscription')
		.where('push_subscription.user_id', '=', userId)
		.where('session.expires_at', '>', now)
		.execute();
}
