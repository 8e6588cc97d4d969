// A user's own preferences, kept as JSON on their row (today: the cost of local tokens).
import type { Database, Executor } from '$lib/server/db/database';
import * as users from '$lib/server/repos/users';
import type { UserSettingsDto } from '$lib/shared/dto';

export async function getUserSettings(db: Executor, userId: number): Promise<UserSettingsDto> {
	try {
		const value = JSON.parse((await users.findUserSettings(db, userId)) ?? '{}') as UserSettingsDto;
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
	await users.updateUserSettings(db, userId, JSON.stringify(settings), Date.now());
	return settings;
}
