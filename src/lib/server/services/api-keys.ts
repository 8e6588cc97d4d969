// Personal API keys for the OpenAI-compatible /v1 endpoints: `hth_` + 32 random bytes (base64url),
// shown once; only a SHA-256 of the secret is stored (the secret is high-entropy, so a fast hash
// is enough), with a short display prefix. Creating and revoking one is a security event.
import type { Database, Executor } from '$lib/server/db/database';
import type { ApiToken } from '$lib/server/db/schema';
import type { SessionUser } from '$lib/server/auth/session';
import { hashToken } from '$lib/server/auth/tokens';
import * as repo from '$lib/server/repos/api-keys';
import { lockUser } from '$lib/server/repos/users';
import { recordSecurityEvent } from '$lib/server/services/security-events';
import type { AdminApiKeyDto, ApiKeyDto } from '$lib/shared/dto';

export const API_KEY_PREFIX = 'hth_';
const API_KEY_BYTES = 32;
/** `hth_` and the first 8 characters of the random part: enough to tell keys apart. */
const DISPLAY_PREFIX_CHARS = API_KEY_PREFIX.length + 8;
export const MAX_API_KEY_NAME_CHARS = 64;
export const MAX_API_KEYS_PER_USER = 50;
export const MAX_KEY_RATE_PER_MINUTE = 10_000;
/** The last-used time is written at most this often per key. */
export const LAST_USED_RESOLUTION_MS = 60_000;
const API_KEY_SHAPE = /^hth_[A-Za-z0-9_-]{43}$/;

export interface ApiKeyInput {
	name: string;
	expiresAt?: number | null;
	rateLimitPerMinute?: number | null;
	/** Keep each completed request as a conversation in the owner's history. */
	saveHistory?: boolean;
}

type Fail<C extends string> = { ok: false; code: C; message: string };

export interface ApiKeyIdentity {
	user: SessionUser;
	key: { id: number; name: string; rateLimitPerMinute: number | null; saveHistory: boolean };
}

export function generateApiKey(): string {
	const bytes = new Uint8Array(API_KEY_BYTES);
	crypto.getRandomValues(bytes);
	return API_KEY_PREFIX + Buffer.from(bytes).toString('base64url');
}

function toDto(row: ApiToken): ApiKeyDto {
	return {
		id: Number(row.id),
		name: row.name,
		prefix: row.prefix ?? `${API_KEY_PREFIX}…${row.last4}`,
		createdAt: Number(row.created_at),
		expiresAt: row.expires_at === null ? null : Number(row.expires_at),
		lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
		rateLimitPerMinute: row.rate_limit_per_minute,
		saveHistory: row.save_history === 1
	};
}

export async function createApiKey(
	db: Database,
	user: SessionUser,
	input: ApiKeyInput,
	now = Date.now()
): Promise<{ ok: true; key: ApiKeyDto; secret: string } | Fail<'invalid' | 'too_many'>> {
	const name = input.name.trim();
	if (name.length < 1 || name.length > MAX_API_KEY_NAME_CHARS)
		return {
			ok: false,
			code: 'invalid',
			message: `name: 1 to ${MAX_API_KEY_NAME_CHARS} characters`
		};
	if (input.expiresAt != null && input.expiresAt <= now)
		return { ok: false, code: 'invalid', message: 'expiresAt: must be in the future' };
	const rate = input.rateLimitPerMinute ?? null;
	if (rate !== null && (!Number.isInteger(rate) || rate < 1 || rate > MAX_KEY_RATE_PER_MINUTE))
		return {
			ok: false,
			code: 'invalid',
			message: `rateLimitPerMinute: a whole number from 1 to ${MAX_KEY_RATE_PER_MINUTE}`
		};
	const secret = generateApiKey();
	// Count and insert under the user's lock, so a burst of creations cannot pass the cap together.
	return db.transaction().execute(async (trx) => {
		await lockUser(trx, user.id);
		if ((await repo.countLiveApiKeys(trx, user.id)) >= MAX_API_KEYS_PER_USER)
			return {
				ok: false as const,
				code: 'too_many' as const,
				message: `You have ${MAX_API_KEYS_PER_USER} keys; revoke one first`
			};
		const row = await repo.insertApiKey(trx, {
			user_id: user.id,
			name,
			token_hash: hashToken(secret),
			prefix: secret.slice(0, DISPLAY_PREFIX_CHARS),
			last4: secret.slice(-4),
			created_at: now,
			expires_at: input.expiresAt ?? null,
			rate_limit_per_minute: rate,
			save_history: input.saveHistory ? 1 : 0
		});
		await recordSecurityEvent(
			trx,
			{ kind: 'api_key_created', userId: user.id, username: user.username, detail: name },
			now
		);
		return { ok: true as const, key: toDto(row), secret };
	});
}

export async function listApiKeys(db: Executor, userId: number): Promise<ApiKeyDto[]> {
	return (await repo.listApiKeys(db, userId)).map(toDto);
}

/** Everyone's live keys, for the admin. */
export async function listAllApiKeys(db: Executor): Promise<AdminApiKeyDto[]> {
	return (await repo.listApiKeys(db, null)).map((row) => ({
		...toDto(row),
		username: row.username
	}));
}

/**
 * Revokes key `id`: the actor's own, or anyone's when the actor is an admin acting as one
 * (`asAdmin`). Another user's key answers not_found, as a missing one does.
 */
export async function revokeApiKey(
	db: Executor,
	actor: SessionUser,
	id: number,
	options: { asAdmin?: boolean } = {},
	now = Date.now()
): Promise<{ ok: true } | Fail<'not_found'>> {
	const admin = options.asAdmin === true && actor.role === 'admin';
	const row = await repo.revokeApiKey(db, id, admin ? null : actor.id, now);
	if (!row) return { ok: false, code: 'not_found', message: 'No such API key' };
	const byOther = row.user_id !== actor.id;
	await recordSecurityEvent(
		db,
		{
			kind: 'api_key_revoked',
			userId: row.user_id,
			username: byOther ? `${actor.username} (admin)` : actor.username,
			detail: row.name
		},
		now
	);
	return { ok: true };
}

/** Who a presented secret belongs to; the last-used time is stamped (once a minute at most). */
export async function authenticateApiKey(
	db: Executor,
	secret: string,
	now = Date.now()
): Promise<({ ok: true } & ApiKeyIdentity) | Fail<'invalid_api_key'>> {
	const invalid = {
		ok: false as const,
		code: 'invalid_api_key' as const,
		message: 'Incorrect API key provided.'
	};
	if (!API_KEY_SHAPE.test(secret)) return invalid;
	const row = await repo.findApiKeyByHash(db, hashToken(secret));
	if (!row || row.revoked_at !== null) return invalid;
	if (row.expires_at !== null && Number(row.expires_at) <= now)
		return { ...invalid, message: 'This API key has expired.' };
	// Written at most once a resolution step: most requests read the key and write nothing.
	const staleBefore = now - LAST_USED_RESOLUTION_MS;
	if (row.last_used_at === null || Number(row.last_used_at) <= staleBefore)
		await repo.touchApiKey(db, row.id, now, staleBefore);
	return {
		ok: true,
		user: { id: row.user_id, username: row.username, role: row.role },
		key: {
			id: row.id,
			name: row.name,
			rateLimitPerMinute: row.rate_limit_per_minute,
			saveHistory: row.save_history === 1
		}
	};
}
