// Who is signed in on this device, remembered so the app can start offline, and the wipe that
// removes everything of theirs from the browser (sign-out, an expired session, or a new user).
// Small on purpose: the root layout imports it, and the device cache (Dexie) loads only to wipe.

export interface DeviceUser {
	id: number;
	username: string;
	role: 'admin' | 'user';
}

const KEY = 'hearth:user';

export function rememberedUser(): DeviceUser | null {
	try {
		const value = JSON.parse(localStorage.getItem(KEY) ?? 'null') as DeviceUser | null;
		return value && typeof value.id === 'number' ? value : null;
	} catch {
		return null;
	}
}

/** Remembers the signed-in user; a different user than before wipes the previous one's data. */
export async function rememberUser(user: DeviceUser) {
	const previous = rememberedUser();
	localStorage.setItem(KEY, JSON.stringify(user));
	if (previous && previous.id !== user.id) await wipeUser(previous.id);
}

/** Deletes the remembered user's offline copy, Hearth's caches and the identity itself. */
export async function wipeDevice() {
	const user = rememberedUser();
	if (!user) return;
	localStorage.removeItem(KEY);
	await wipeUser(user.id);
}

async function wipeUser(userId: number) {
	const { deleteDeviceCache } = await import('$lib/client/device-cache');
	await deleteDeviceCache(userId);
	// The server forgets this browser's push subscription with the session; the browser too.
	const { unsubscribeBrowser } = await import('$lib/client/push');
	await unsubscribeBrowser();
	if ('caches' in globalThis) {
		for (const name of await caches.keys()) await caches.delete(name);
	}
}
