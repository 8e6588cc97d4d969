// The devices the user is signed in on, for Settings: list, sign one out, sign out all others.
import { api } from '$lib/client/api';
import type { DeviceSessionDto } from '$lib/shared/dto';

class DevicesStore {
	devices = $state<DeviceSessionDto[] | null>(null);

	async load() {
		this.devices = (await api<{ devices: DeviceSessionDto[] }>('GET', '/api/me/sessions')).devices;
	}

	async signOut(id: string) {
		await api('DELETE', `/api/me/sessions/${encodeURIComponent(id)}`);
		await this.load();
	}

	async signOutOthers(): Promise<number> {
		const { signedOut } = await api<{ signedOut: number }>('DELETE', '/api/me/sessions');
		await this.load();
		return signedOut;
	}
}

export const devicesStore = new DevicesStore();
