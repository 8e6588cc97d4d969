// Turns whatever an SDK or the network threw into a ProviderFailure a user can read. Upstream
// text never reaches the user's message; it goes, redacted, into `detail` for admins and logs.
import { GuardError } from '$lib/server/net/guarded-fetch';
import { redactSecrets } from '$lib/server/llm/redact';
import type { ProviderFailure } from '$lib/server/llm/types';

const MAX_UPSTREAM_MESSAGE = 300;

const TLS_CODES = [
	'CERT_HAS_EXPIRED',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'ERR_TLS_CERT_ALTNAME_INVALID'
];

/** Why a connection never opened, in words that name the cause; null when it did open. */
function unreachableCause(codes: string[], providerName: string): string | null {
	const has = (...wanted: string[]) => codes.some((c) => wanted.includes(c));
	if (has('ECONNREFUSED')) return `Cannot reach ${providerName} — is it running?`;
	if (has('ENOTFOUND', 'EAI_AGAIN'))
		return `Cannot reach ${providerName}: its host name does not resolve (check the address and this server's DNS)`;
	if (has('EHOSTUNREACH', 'ENETUNREACH'))
		return `Cannot reach ${providerName}: no network route to it from this server`;
	if (has('ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'))
		return `Cannot reach ${providerName}: it did not accept the connection in time`;
	const tls = codes.find((c) => TLS_CODES.includes(c));
	if (tls) return `Cannot reach ${providerName}: its TLS certificate was refused (${tls})`;
	return null;
}

function causes(error: unknown): unknown[] {
	const chain: unknown[] = [];
	let current: unknown = error;
	while (current && chain.length < 6) {
		chain.push(current);
		current = (current as { cause?: unknown }).cause;
	}
	return chain;
}

function upstreamText(error: unknown, apiKey: string | null): string {
	// OpenAI's SDK keeps the body's `error` object; Anthropic's keeps the whole body.
	const body = (error as { error?: { message?: unknown; error?: { message?: unknown } } }).error;
	const raw = body?.message ?? body?.error?.message;
	const text = typeof raw === 'string' ? raw : '';
	// Redacted before it is cut, so a cut cannot split a key out of its pattern.
	return redactSecrets(text.replace(/\s+/g, ' '), [apiKey]).slice(0, MAX_UPSTREAM_MESSAGE);
}

/** `apiKey`: the key this provider was called with, scrubbed from any upstream text kept. */
export function describeFailure(
	error: unknown,
	providerName: string,
	apiKey: string | null
): ProviderFailure {
	const chain = causes(error);
	const guard = chain.find((e) => e instanceof GuardError) as GuardError | undefined;
	if (guard) {
		if (guard.code === 'timeout') {
			return {
				code: 'timeout',
				message: `${providerName} took too long to answer`,
				retryable: true
			};
		}
		if (guard.code === 'too_large') {
			return {
				code: 'bad_response',
				message: `${providerName} sent more data than allowed`,
				retryable: false
			};
		}
		return { code: 'blocked', message: `${providerName}: ${guard.message}`, retryable: false };
	}
	const status = (error as { status?: unknown }).status;
	if (typeof status === 'number') {
		const detail = upstreamText(error, apiKey) || undefined;
		if (status === 401 || status === 403) {
			return {
				code: 'auth',
				status,
				retryable: false,
				message: `${providerName} rejected the API key`,
				detail
			};
		}
		if (status === 429) {
			return {
				code: 'rate_limited',
				status,
				retryable: true,
				message: `${providerName} is rate limiting requests`,
				detail
			};
		}
		if (status === 404) {
			return {
				code: 'not_found',
				status,
				retryable: false,
				message: `${providerName} does not know that model or endpoint`,
				detail
			};
		}
		if (status >= 400 && status < 500) {
			return {
				code: 'bad_request',
				status,
				retryable: false,
				message: `${providerName} refused the request`,
				detail
			};
		}
		return {
			code: 'upstream',
			status,
			retryable:
				status === 500 || status === 502 || status === 503 || status === 504 || status === 529,
			message: `${providerName} failed with HTTP ${status}`,
			detail
		};
	}
	const codes = chain
		.map((e) => (e as { code?: unknown }).code)
		.filter((c): c is string => typeof c === 'string');
	const unreachable = unreachableCause(codes, providerName);
	if (unreachable) return { code: 'unreachable', retryable: true, message: unreachable };
	if (
		codes.some((c) =>
			['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED'].includes(c as string)
		)
	) {
		return {
			code: 'interrupted',
			retryable: true,
			message: `${providerName} closed the connection mid-reply`
		};
	}
	const names = chain.map((e) => (e as { name?: unknown }).name);
	if (names.includes('APIConnectionTimeoutError') || names.includes('TimeoutError')) {
		return { code: 'timeout', retryable: true, message: `${providerName} took too long to answer` };
	}
	if (chain.some((e) => e instanceof SyntaxError)) {
		return {
			code: 'bad_response',
			retryable: false,
			message: `${providerName} sent a malformed response`
		};
	}
	const text = chain.map((e) => String((e as { message?: unknown }).message ?? '')).join(' ');
	if (/terminated|other side closed|socket/i.test(text)) {
		return {
			code: 'interrupted',
			retryable: true,
			message: `${providerName} closed the connection mid-reply`
		};
	}
	if (/\bbad port\b/i.test(text)) {
		return {
			code: 'unreachable',
			retryable: false,
			message: `Cannot reach ${providerName}: its port is one that fetch refuses to use (a "bad port"); run it on another port`
		};
	}
	if (/connection error/i.test(text)) {
		return {
			code: 'unreachable',
			retryable: true,
			message: `Cannot reach ${providerName}: the connection failed before it answered`
		};
	}
	return { code: 'bad_response', retryable: false, message: `${providerName} failed unexpectedly` };
}
