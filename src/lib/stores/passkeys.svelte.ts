// Passkeys in Settings (add with a name, list, remove) and signing in with one.
import { api } from '$lib/client/api';
import { createPasskey, usePasskey } from '$lib/client/passkeys';
import type { PasskeyDto } from '$lib/shared/dto';

type Options<T> = { challengeId: string; options: T };

class PasskeysStore {
	passkeys = $state<PasskeyDto[] | null>(null);

	async load() {
		this.passkeys = (await api<{ passkeys: PasskeyDto[] }>('GET', '/api/me/passkeys')).passkeys;
	}

	async add(name: string) {
		const { challengeId, options } = await api<Options<Parameters<typeof createPasskey>[0]>>(
			'POST',
			'/api/me/passkeys/options'
		);
		const response = await createPasskey(options);
		await api('POST', '/api/me/passkeys', { challengeId, name, response });
		await this.load();
	}

	async remove(id: string) {
		await api('DELETE', `/api/me/passkeys/${encodeURIComponent(id)}`);
		await this.load();
	}

	/** Signs in with a passkey alone; the browser asks which one. */
	async signIn() {
		const { challengeId, options } = await api<Options<Parameters<typeof usePasskey>[0]>>(
			'POST',
			'/api/auth/passkey/options'
		);
		const response = await usePasskey(options);
		await api('POST', '/api/auth/passkey', { challengeId, response });
	}
}

export const passkeysStore = new PasskeysStore();
