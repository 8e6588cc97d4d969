// Personal API keys in Settings (create, list, revoke) and, for the admin, everyone's keys and
// the model aliases. A new key's secret is kept here only until the person dismisses it.
import { api } from '$lib/client/api';
import type { AdminApiKeyDto, AliasParamsDto, ApiKeyDto, ModelAliasDto } from '$lib/shared/dto';

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
	aliases = $state<ModelAliasDto[] | null>(null);

	async loadKeys() {
		this.keys = (await api<{ keys: AdminApiKeyDto[] }>('GET', '/api/admin/keys')).keys;
	}

	async revokeKey(id: number) {
		await api('DELETE', `/api/admin/keys/${id}`);
		await this.loadKeys();
	}

	async loadAliases() {
		this.aliases = (await api<{ aliases: ModelAliasDto[] }>('GET', '/api/admin/aliases')).aliases;
	}

	async saveAlias(input: {
		name: string;
		target: string;
		params: AliasParamsDto;
		systemPrompt: string | null;
	}) {
		await api('POST', '/api/admin/aliases', input);
		await this.loadAliases();
	}

	async removeAlias(id: number) {
		await api('DELETE', `/api/admin/aliases/${id}`);
		await this.loadAliases();
	}
}

export const apiKeysStore = new ApiKeysStore();
export const adminApiStore = new AdminApiStore();
