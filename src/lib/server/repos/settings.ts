import type { Executor } from '$lib/server/db/database';

/** Inserts a setting only if the key is new; false when it already existed (a one-time claim). */
export async function claimSetting(db: Executor, key: string, value: string, now: number) {
	const result = await db
		.insertInto('app_setting')
		.values({ key, value, updated_at: now })
		.onConflict((oc) => oc.column('key').doNothing())
		.executeTakeFirst();
	return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function putSetting(db: Executor, key: string, value: string, now: number) {
	await db
		.insertInto('app_setting')
		.values({ key, value, updated_at: now })
		.onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
		.execute();
}

export async function getSetting(db: Executor, key: string): Promise<string | undefined> {
	const row = await db
		.selectFrom('app_setting')
		.select('value')
		.where('key', '=', key)
		.executeTakeFirst();
	return row?.value;
}
