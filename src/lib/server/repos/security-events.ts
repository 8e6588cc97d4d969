import type { Executor } from '$lib/server/db/database';
import type { NewSecurityEvent, SecurityEvent } from '$lib/server/db/schema';

export async function insertSecurityEvent(db: Executor, event: NewSecurityEvent): Promise<void> {
	await db.insertInto('security_event').values(event).execute();
}

/** Newest first; one user's, or everyone's when `userId` is null. */
export function listSecurityEvents(
	db: Executor,
	options: { userId: number | null; limit: number; before?: number }
): Promise<SecurityEvent[]> {
	let query = db.selectFrom('security_event').selectAll();
	if (options.userId !== null) query = query.where('user_id', '=', options.userId);
	if (options.before !== undefined) query = query.where('id', '<', options.before);
	return query.orderBy('id', 'desc').limit(options.limit).execute();
}

export async function deleteSecurityEventsBefore(db: Executor, cutoff: number): Promise<number> {
	const result = await db
		.deleteFrom('security_event')
		.where('created_at', '<', cutoff)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}
