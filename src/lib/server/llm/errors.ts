// Turns whatever an SDK or the network threw into a ProviderFailure a user can read. Upstream
// text never reaches the user's message; it goes, redacted, into `detail` for admins and logs.
import { GuardError } from '$lib/server/net/guarded-fetch';
import { redactSecrets } from '$lib/server/llm/redact';
import type { ProviderFailure } from '$lib/server/llm/types';

const MAX_UPSTREAM_MESSAGE = 300;

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
		.filter((c) => typeof c === 'string');
	if (
		codes.some((c) =>
			['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(
				c as string
			)
		)
	) {
		return {
			code: 'unreachable',
			retryable: true,
			message: `Cannot reach ${providerName} — is it running?`
		};
	}
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
	if (/connection error/i.test(text)) {
		return {
			code: 'unreachable',
			retryable: true,
			message: `Cannot reach ${providerName} — is it running?`
		};
	}
	return { code: 'bad_response', retryable: false, message: `${providerName} failed unexpectedly` };
}
