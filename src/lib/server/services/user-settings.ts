// A user's own preferences, kept as JSON on their row (today: the cost of local tokens).
import type { Database, Executor } from '$lib/server/db/database';
import type { UserSettingsDto } from '$lib/shared/dto';

export async function getUserSettings(db: Executor, userId: number): Promise<UserSettingsDto> {
	const row = await db
		.selectFrom('user')
		.select('settings')
		.where('id', '=', userId)
		.executeTakeFirst();
	try {
		const value = JSON.parse(row?.settings ?? '{}') as UserSettingsDto;
		return typeof value === 'object' && value !== null ? value : {};
	} catch {
		return {};
	}
}

export async function updateUserSettings(
	db: Database,
	userId: number,
	patch: UserSettingsDto
): Promise<UserSettingsDto> {
	const settings = { ...(await getUserSettings(db, userId)), ...patch };
	await db
		.updateTable('user')
		.set({ settings: JSON.stringify(settings), updated_at: Date.now() })
		.where('id', '=', userId)
		.execute();
	return settings;
}
