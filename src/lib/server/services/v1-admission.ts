// Where a /v1 request is let in: its errors in OpenAI's terms, the content-policy screen of what
// the user sent, the budget reservation and a slot on the provider's gate (shared with the chat's
// replies, fair between users). openai-http.ts gives the errors OpenAI's HTTP shape.
import type { Database } from '$lib/server/db/database';
import { MAX_UPSTREAM_DURATION_MS, type ProviderRegistry } from '$lib/server/llm/registry';
import type { Provider, ProviderFailure } from '$lib/server/llm/types';
import type { ApiKeyIdentity } from '$lib/server/services/api-keys';
import { reserveApiRequest } from '$lib/server/services/budget';
import { screenText, type Refusal } from '$lib/server/services/content-policy';
import type { GuardContext } from '$lib/server/services/guard-model';
import type { UsageContext } from '$lib/server/services/pricing';

/** How long a request may wait for a free slot on its provider before it is told to retry. */
export const V1_QUEUE_WAIT_MS = 60_000;
export const V1_QUEUE_RETRY_AFTER_SECONDS = 5;
/**
 * How long a request's budget reservation stays in force if it is never settled (its instance
 * crashed): the queue wait, the longest upstream reply, and room for screening and recording.
 */
export const V1_RESERVATION_TTL_MS = V1_QUEUE_WAIT_MS + MAX_UPSTREAM_DURATION_MS + 5 * 60_000;

export interface V1Deps {
	db: Database;
	providers: ProviderRegistry;
	now?: () => number;
}

/** An error as OpenAI's API reports it; `status` is the HTTP status. */
export interface V1Error {
	status: number;
	type: string;
	code: string | null;
	param: string | null;
	message: string;
	retryAfterSeconds?: number;
}

export const invalidRequest = (
	message: string,
	param: string | null = null,
	code: string | null = null
): V1Error => ({
	status: 400,
	type: 'invalid_request_error',
	code,
	param,
	message
});

export function modelNotFound(model: string): V1Error {
	return {
		status: 404,
		type: 'invalid_request_error',
		code: 'model_not_found',
		param: 'model',
		message: `The model \`${model.slice(0, 300)}\` does not exist or you do not have access to it.`
	};
}

/** A provider's failure in OpenAI's terms: the client's fault (4xx) or the upstream's (5xx). */
export function failureToV1(failure: ProviderFailure): V1Error {
	const upstream = (status: number, code: string) => ({
		status,
		type: 'api_error',
		code,
		param: null,
		message: failure.message
	});
	switch (failure.code) {
		case 'bad_request':
			// The upstream's words (keys redacted) help a client fix its request.
			return invalidRequest(failure.detail ?? failure.message);
		case 'not_found':
			return { ...invalidRequest(failure.message, 'model', 'model_not_found'), status: 404 };
		case 'rate_limited':
			return {
				...upstream(429, 'rate_limit_exceeded'),
				type: 'rate_limit_error',
				retryAfterSeconds: V1_QUEUE_RETRY_AFTER_SECONDS
			};
		case 'timeout':
			return upstream(504, 'timeout');
		case 'unreachable':
		case 'blocked':
			return upstream(503, 'provider_unavailable');
		default:
			return upstream(502, 'upstream_error');
	}
}

/**
 * The content-policy seam: every piece of user text a /v1 request carries enters here before
 * the request runs. A refusal is the rule's message; null lets the request through.
 */
export async function screenUserText(
	deps: V1Deps,
	text: string,
	userId: number
): Promise<Refusal | null> {
	return screenText(deps.db, text, (deps.now ?? Date.now)(), guardContext(deps, userId), {
		userId,
		source: 'api'
	});
}

export function guardContext(deps: V1Deps, userId: number): GuardContext {
	return { db: deps.db, providers: deps.providers, userId, source: 'api', now: deps.now };
}

/**
 * Where a /v1 request starts running: the budget, then a slot on the provider's gate (shared with
 * the chat's replies, fair between users), waited for at most V1_QUEUE_WAIT_MS, else 429 with
 * Retry-After. Resolves to the slot's release and the budget reservation's `settle`, to call once
 * the request's usage is recorded.
 */
export async function startV1Request(
	deps: V1Deps,
	userId: number,
	provider: Provider,
	signal: AbortSignal
): Promise<
	{ ok: true; release: () => void; settle: () => Promise<void> } | { ok: false; error: V1Error }
> {
	const reserved = await reserveApiRequest(
		deps.db,
		userId,
		(deps.now ?? Date.now)(),
		V1_RESERVATION_TTL_MS
	);
	if (!reserved.ok)
		return {
			ok: false,
			error: {
				status: 429,
				type: 'insufficient_quota',
				code: 'insufficient_quota',
				param: null,
				message: reserved.message
			}
		};
	const waited = AbortSignal.any([signal, AbortSignal.timeout(V1_QUEUE_WAIT_MS)]);
	try {
		const free = await deps.providers.acquire(provider, userId, waited);
		let released = false;
		const release = () => {
			if (released) return;
			released = true;
			free();
		};
		return { ok: true, release, settle: reserved.settle };
	} catch {
		await reserved.settle();
		return {
			ok: false,
			error: {
				status: 429,
				type: 'rate_limit_error',
				code: 'queue_full',
				param: null,
				message: `${provider.name} is busy; retry shortly`,
				retryAfterSeconds: V1_QUEUE_RETRY_AFTER_SECONDS
			}
		};
	}
}

/** Who a /v1 request's usage belongs to: its key's owner, under the key's name. */
export function apiUsageContext(
	caller: ApiKeyIdentity,
	provider: Provider,
	model: string
): UsageContext {
	return {
		userId: caller.user.id,
		conversationId: null,
		messageId: null,
		jobId: null,
		provider: provider.id,
		model,
		source: 'api',
		apiTokenId: caller.key.id,
		apiKeyName: caller.key.name
	};
}
