// Provider settings: the ones from configuration (LLAMA_URL, OPENAI_API_KEY, ANTHROPIC_API_KEY) and
// the ones the admin manages. Keys are sealed with the server secret, bound to the exact origin they
// were saved for, and only their last 4 characters ever leave this module.
import type { Config } from '$lib/server/config';
import type { Database } from '$lib/server/db/database';
import type { ProviderRow } from '$lib/server/db/schema';
import { PROVIDER_KINDS, type ProviderKind, type ProviderRecord } from '$lib/server/llm/types';
import { ANTHROPIC_BASE_URL } from '$lib/server/llm/anthropic';
import { OPENAI_BASE_URL } from '$lib/server/llm/openai';
import { internalTargetReason } from '$lib/server/net/internal-target';
import * as repo from '$lib/server/repos/providers';
import { lastFour, openSecret, sealSecret } from '$lib/server/secret-box';
import type { ProviderViewDto } from '$lib/shared/dto';

export { PROVIDER_KINDS };

export const MAX_PROVIDER_CONCURRENCY = 64;
/** Bounds of the admin's context window setting, in tokens. */
export const MIN_CONTEXT_WINDOW = 256;
export const MAX_CONTEXT_WINDOW = 10_000_000;

export type { ProviderRecord };

export type ProviderView = ProviderViewDto;

export const DEFAULT_BASE_URLS: Record<ProviderKind, string> = {
	llamacpp: 'http://127.0.0.1:8080',
	openai: OPENAI_BASE_URL,
	anthropic: ANTHROPIC_BASE_URL,
	openai_compatible: ''
};

export const CONFIG_PROVIDER_IDS = {
	llama: 'llama',
	openai: 'openai',
	anthropic: 'anthropic'
} as const;
const ADMIN_ID_PREFIX = 'p';

export function adminProviderId(rowId: number): string {
	return `${ADMIN_ID_PREFIX}${rowId}`;
}

export function parseAdminProviderId(id: string): number | null {
	const match = /^p(\d{1,9})$/.exec(id);
	return match ? Number(match[1]) : null;
}

/** Names the configuration already uses; an admin provider cannot take them. */
export function configProviderNames(config: Config): string[] {
	return configRecords(config).map((r) => r.name);
}

function configRecords(config: Config): ProviderRecord[] {
	const records: ProviderRecord[] = [
		{
			id: CONFIG_PROVIDER_IDS.llama,
			kind: 'llamacpp',
			name: 'llama.cpp',
			baseUrl: config.llamaUrl,
			apiKey: config.llamaApiKey,
			allowInternal: true,
			maxConcurrency: null,
			contextWindow: null,
			enabledModels: [],
			source: 'config'
		}
	];
	if (config.openaiApiKey) {
		records.push({
			id: CONFIG_PROVIDER_IDS.openai,
			kind: 'openai',
			name: 'OpenAI',
			baseUrl: OPENAI_BASE_URL,
			apiKey: config.openaiApiKey,
			allowInternal: false,
			maxConcurrency: null,
			contextWindow: null,
			enabledModels: [],
			source: 'config'
		});
	}
	if (config.anthropicApiKey) {
		records.push({
			id: CONFIG_PROVIDER_IDS.anthropic,
			kind: 'anthropic',
			name: 'Anthropic',
			baseUrl: ANTHROPIC_BASE_URL,
			apiKey: config.anthropicApiKey,
			allowInternal: false,
			maxConcurrency: null,
			contextWindow: null,
			enabledModels: [],
			source: 'config'
		});
	}
	return records;
}

function parseModels(json: string): string[] {
	try {
		const value: unknown = JSON.parse(json);
		return Array.isArray(value) ? value.filter((m): m is string => typeof m === 'string') : [];
	} catch {
		return [];
	}
}

function binding(row: ProviderRow, origin: string) {
	return { userId: row.user_id, providerId: row.id, origin };
}

/** The stored key, only while the base URL still has the origin the key was saved for. */
function usableKey(row: ProviderRow, secretKey: Buffer): string | null {
	if (!row.key_ciphertext || !row.key_origin) return null;
	const origin = new URL(row.base_url).origin;
	if (origin !== row.key_origin) return null;
	return openSecret(secretKey, row.key_ciphertext, binding(row, origin));
}

export async function loadProviderRecords(
	db: Database,
	config: Config,
	secretKey: Buffer
): Promise<ProviderRecord[]> {
	const rows = await repo.listSharedProviders(db);
	return [
		...configRecords(config),
		...rows
			.filter((row) => row.enabled === 1)
			.map((row) => ({
				id: adminProviderId(row.id),
				kind: row.kind,
				name: row.name,
				baseUrl: row.base_url,
				apiKey: usableKey(row, secretKey),
				allowInternal: row.allow_internal === 1,
				maxConcurrency: row.max_concurrency,
				contextWindow: row.context_window,
				enabledModels: parseModels(row.enabled_models),
				source: 'admin' as const
			}))
	];
}

export async function listProviderViews(
	db: Database,
	config: Config,
	secretKey: Buffer
): Promise<ProviderView[]> {
	const rows = await repo.listSharedProviders(db);
	return [
		...configRecords(config).map((r) => ({
			id: r.id,
			kind: r.kind,
			name: r.name,
			baseUrl: r.baseUrl,
			keyLast4: r.apiKey ? lastFour(r.apiKey) : null,
			keyNeedsReentry: false,
			allowInternal: r.allowInternal,
			maxConcurrency: r.maxConcurrency,
			contextWindow: r.contextWindow ?? null,
			enabledModels: r.enabledModels,
			enabled: true,
			source: 'config' as const
		})),
		...rows.map((row) => ({
			id: adminProviderId(row.id),
			kind: row.kind,
			name: row.name,
			baseUrl: row.base_url,
			keyLast4: row.key_last4,
			keyNeedsReentry: Boolean(row.key_ciphertext) && usableKey(row, secretKey) === null,
			allowInternal: row.allow_internal === 1,
			maxConcurrency: row.max_concurrency,
			contextWindow: row.context_window,
			enabledModels: parseModels(row.enabled_models),
			enabled: row.enabled === 1,
			source: 'admin' as const
		}))
	];
}

export interface ProviderInput {
	kind: string;
	name: string;
	baseUrl: string;
	/** A new key; empty keeps the stored one (if the origin is unchanged). */
	apiKey: string;
	clearKey: boolean;
	allowInternal: boolean;
	maxConcurrency: string;
	/** Tokens; empty: what the server reports or the cloud table says. */
	contextWindow?: string;
	enabledModels: string;
	enabled: boolean;
}

type Invalid = { ok: false; code: 'invalid'; message: string };
const invalid = (message: string): Invalid => ({ ok: false, code: 'invalid', message });

export function normalizeBaseUrl(raw: string): { ok: true; url: string } | Invalid {
	let url: URL;
	try {
		url = new URL(raw.trim());
	} catch {
		return invalid('Base URL is not a valid URL');
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:')
		return invalid('Base URL must start with http:// or https://');
	if (url.username || url.password) return invalid('Put the key in the key field, not in the URL');
	if (url.search || url.hash) return invalid('Base URL must not have a query or fragment');
	return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

function validate(input: ProviderInput) {
	if (!(PROVIDER_KINDS as readonly string[]).includes(input.kind))
		return invalid('Unknown provider type');
	const kind = input.kind as ProviderKind;
	const name = input.name.trim();
	if (!name || name.length > 60) return invalid('Name must be 1–60 characters');
	const base = normalizeBaseUrl(input.baseUrl.trim() || DEFAULT_BASE_URLS[kind]);
	if (!base.ok) return base;
	const apiKey = input.apiKey.trim();
	if (apiKey.length > 512 || /\s/.test(apiKey))
		return invalid('That does not look like an API key');
	let maxConcurrency: number | null = null;
	if (input.maxConcurrency.trim()) {
		maxConcurrency = Number(input.maxConcurrency);
		if (
			!Number.isInteger(maxConcurrency) ||
			maxConcurrency < 1 ||
			maxConcurrency > MAX_PROVIDER_CONCURRENCY
		) {
			return invalid(
				`Concurrent replies must be a whole number from 1 to ${MAX_PROVIDER_CONCURRENCY}`
			);
		}
	}
	let contextWindow: number | null = null;
	if (input.contextWindow?.trim()) {
		contextWindow = Number(input.contextWindow);
		if (
			!Number.isInteger(contextWindow) ||
			contextWindow < MIN_CONTEXT_WINDOW ||
			contextWindow > MAX_CONTEXT_WINDOW
		)
			return invalid(
				`Context window must be a whole number of tokens from ${MIN_CONTEXT_WINDOW} to ${MAX_CONTEXT_WINDOW}`
			);
	}
	const models = [...new Set(input.enabledModels.split(/[\s,]+/).filter(Boolean))];
	if (models.some((m) => m.length > 200) || models.length > 200)
		return invalid('Too many or too long model names');
	return {
		ok: true as const,
		kind,
		name,
		baseUrl: base.url,
		apiKey,
		maxConcurrency,
		contextWindow,
		models
	};
}

/** What saving needs; the registry is told, so the next reply uses the new settings. */
export interface ProviderStore {
	db: Database;
	secretKey: Buffer;
	providers: { invalidate(): void };
}

export type SaveProviderResult =
	| { ok: true; id: string; keyDropped: boolean }
	| Invalid
	| { ok: false; code: 'not_found'; message: string };

export async function saveProvider(
	{ db, secretKey, providers }: ProviderStore,
	input: ProviderInput,
	existingId: string | null,
	reservedNames: readonly string[] = []
): Promise<SaveProviderResult> {
	const checked = validate(input);
	if (!checked.ok) return checked;
	const now = Date.now();
	const origin = new URL(checked.baseUrl).origin;
	if (!input.allowInternal) {
		// Refused here, with the reason, rather than saved and failing in every user's picker.
		const reason = await internalTargetReason(new URL(checked.baseUrl));
		if (reason)
			return invalid(
				`${reason}. Tick "This server is on my private network" to allow this exact address.`
			);
	}
	const taken = (name: string) => invalid(`A provider named "${name}" already exists`);
	if (reservedNames.some((n) => n.toLowerCase() === checked.name.toLowerCase()))
		return taken(checked.name);
	const result = await db.transaction().execute(async (trx): Promise<SaveProviderResult> => {
		const rowId = existingId === null ? null : parseAdminProviderId(existingId);
		const existing = rowId === null ? undefined : await repo.findSharedProvider(trx, rowId);
		if (existingId !== null && !existing)
			return { ok: false, code: 'not_found', message: 'That provider no longer exists' };
		const namesake = await repo.findSharedProviderByName(trx, checked.name);
		if (namesake && namesake.id !== existing?.id) return taken(namesake.name);
		const fields = {
			kind: checked.kind,
			name: checked.name,
			base_url: checked.baseUrl,
			allow_internal: input.allowInternal ? 1 : 0,
			max_concurrency: checked.maxConcurrency,
			context_window: checked.contextWindow,
			enabled_models: JSON.stringify(checked.models),
			enabled: input.enabled ? 1 : 0,
			updated_at: now
		};
		const row =
			existing ?? (await repo.insertProvider(trx, { ...fields, user_id: null, created_at: now }));
		if (existing) await repo.updateProvider(trx, existing.id, fields);
		let keyDropped = false;
		if (checked.apiKey) {
			await repo.updateProvider(trx, row.id, {
				key_ciphertext: sealSecret(secretKey, checked.apiKey, binding(row, origin)),
				key_last4: lastFour(checked.apiKey),
				key_origin: origin
			});
		} else if (input.clearKey || (existing?.key_origin && existing.key_origin !== origin)) {
			keyDropped = Boolean(existing?.key_ciphertext) && !input.clearKey;
			await repo.updateProvider(trx, row.id, {
				key_ciphertext: null,
				key_last4: null,
				key_origin: null
			});
		}
		return { ok: true, id: adminProviderId(row.id), keyDropped };
	});
	if (result.ok) providers.invalidate();
	return result;
}

export async function removeProvider(
	{ db, providers }: Pick<ProviderStore, 'db' | 'providers'>,
	id: string
): Promise<boolean> {
	const rowId = parseAdminProviderId(id);
	const removed = rowId !== null && (await repo.deleteSharedProvider(db, rowId));
	if (removed) providers.invalidate();
	return removed;
}
