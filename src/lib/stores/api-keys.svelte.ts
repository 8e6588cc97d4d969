// Personal API keys in Settings (create, list, revoke) and, for the admin, everyone's keys
// (model names for /v1 are shared presets: prompts store). A new key's secret is kept here
// only until the person dismisses it.
import { api } from '$lib/client/api';
import type { AdminApiKeyDto, ApiKeyDto } from '$lib/shared/dto';

export interface NewKeyInput {
	name: string;
	expiresAt: number | null;
	rateLimitPerMinute: number | null;
	saveHistory: boolean;
}

class ApiKeysStore {
	keys = $state<ApiKeyDto[] | null>(null);
	/** The secret of the key just made: shown once, then forgotten. */
	secret = $state<{ name: string; value: string } | null>(null);

	async load() {
		this.keys = (await api<{ keys: ApiKeyDto[] }>('GET', '/api/keys')).keys;
	}

	async create(input: NewKeyInput) {
		const made = await api<{ key: ApiKeyDto; secret: string }>('POST', '/api/keys', input);
		this.secret = { name: made.key.name, value: made.secret };
		await this.load();
	}

	dismissSecret() {
		this.secret = null;
	}

	async revoke(id: number) {
		await api('DELETE', `/api/keys/${id}`);
		await this.load();
	}
}

class AdminApiStore {
	keys = $state<AdminApiKeyDto[] | null>(null);

	async loadKeys() {
		this.keys = (await api<{ keys: AdminApiKeyDto[] }>('GET', '/api/admin/keys')).keys;
	}

	async revokeKey(id: number) {
		await api('DELETE', `/api/admin/keys/${id}`);
		await this.loadKeys();
	}
}

export const apiKeysStore = new ApiKeysStore();
export const adminApiStore = new AdminApiStore();
