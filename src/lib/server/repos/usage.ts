import type { Executor } from '$lib/server/db/database';

export interface UsageGroup {
	provider: string;
	model: string;
	prompt: number;
	completion: number;
	/** 1 when some of the group's tokens were estimated (the reply was stopped or failed). */
	estimated: number;
}

/** A user's token totals by provider and model, optionally for one conversation. */
export async function sumUsageByModel(
	db: Executor,
	userId: number,
	conversationId?: number
): Promise<UsageGroup[]> {
	let query = db
		.selectFrom('usage_event')
		.select(({ fn }) => [
			'provider',
			'model',
			fn.sum<number>('prompt_tokens').as('prompt'),
			fn.sum<number>('completion_tokens').as('completion'),
			fn.max<number>('estimated').as('estimated')
		])
		.where('user_id', '=', userId);
	if (conversationId !== undefined) query = query.where('conversation_id', '=', conversationId);
	const rows = await query.groupBy(['provider', 'model']).execute();
	return rows.map((r) => ({
		...r,
		prompt: Number(r.prompt),
		completion: Number(r.completion),
		estimated: Number(r.estimated)
	}));
}
