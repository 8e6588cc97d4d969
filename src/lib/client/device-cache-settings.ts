// Whether this device keeps an offline copy for a user, and how many conversations it holds: read
// from localStorage, apart from the copy itself (src/lib/client/device-cache.ts), so the chat
// page can ask before it loads the copy and Dexie with it.

export interface CacheSettings {
	enabled: boolean;
	/** How many conversations the offline copy keeps. */
	limit: number;
}

export const DEFAULT_CACHE_SETTINGS: CacheSettings = { enabled: true, limit: 100 };
export const CACHE_LIMITS = { min: 10, max: 200 };

export function cacheSettingsKey(userId: number) {
	return `hearth:offline:${userId}`;
}

export function readCacheSettings(userId: number): CacheSettings {
	try {
		const value = JSON.parse(
			localStorage.getItem(cacheSettingsKey(userId)) ?? 'null'
		) as Partial<CacheSettings> | null;
		return { ...DEFAULT_CACHE_SETTINGS, ...value };
	} catch {
		return DEFAULT_CACHE_SETTINGS;
	}
}

/** Saves the settings; turning the copy off deletes it. */
export async function writeCacheSettings(userId: number, settings: CacheSettings) {
	localStorage.setItem(cacheSettingsKey(userId), JSON.stringify(settings));
	if (!settings.enabled) {
		const { deleteDeviceCache } = await import('$lib/client/device-cache');
		await deleteDeviceCache(userId);
	}
}
