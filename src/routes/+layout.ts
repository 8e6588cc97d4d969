import { browser } from '$app/environment';
import { rememberedUser, rememberUser, wipeDevice, type DeviceUser } from '$lib/client/identity';
import type { LayoutLoad } from './$types';

/**
 * The signed-in user, from the server when it answers; offline, the user this device remembers
 * (their saved conversations stay readable). A 401 means the session is over: this device forgets
 * the user and their offline copy. The wipes run in the background: they never hold up a page.
 */
export const load: LayoutLoad = async ({ fetch }) => {
	try {
		const res = await fetch('/api/me');
		if (res.ok) {
			const { user } = (await res.json()) as { user: DeviceUser };
			if (browser) void rememberUser(user);
			return { user, offline: false };
		}
		if (res.status === 401) {
			if (browser) void wipeDevice();
			return { user: null, offline: false };
		}
	} catch {
		// No network: fall through to what this device remembers.
	}
	return { user: browser ? rememberedUser() : null, offline: true };
};
