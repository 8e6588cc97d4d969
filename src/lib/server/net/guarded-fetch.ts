// The one way Hearth calls a URL that a user or admin typed: http(s) only; every resolved address
// checked at connect time on every redirect hop (so DNS rebinding and redirects to internal hosts
// fail); internal addresses only for origins on the allowlist; credentials never follow a redirect
// to another origin; response size and total duration capped.
import dns from 'node:dns';
import { isIP } from 'node:net';
import type { Agent, RequestInit as UndiciRequestInit } from 'undici';
import { internalAddressKind } from '$lib/server/net/ip';

export const GUARD_ERROR_CODES = [
	'blocked_scheme',
	'blocked_address',
	'too_many_redirects',
	'too_large',
	'timeout'
] as const;
export type GuardErrorCode = (typeof GUARD_ERROR_CODES)[number];

export class GuardError extends Error {
	constructor(
		readonly code: GuardErrorCode,
		message: string
	) {
		super(message);
		this.name = 'GuardError';
	}
}

export interface GuardPolicy {
	/** Exact origins (scheme://host:port) allowed to resolve to internal addresses. */
	allowedInternalOrigins: ReadonlySet<string>;
	maxResponseBytes: number;
	timeoutMs: number;
	/** A redirect to another origin must be https (model downloads: the hub's CDN). */
	httpsRedirectsOnly?: boolean;
}

const MAX_REDIRECTS = 5;
const CREDENTIAL_HEADERS = [
	'authorization',
	'x-api-key',
	'api-key',
	'cookie',
	'proxy-authorization'
];

type LookupCallback = (
	err: NodeJS.ErrnoException | null,
	address: string | dns.LookupAddress[],
	family?: number
) => void;

function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback) {
	dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
		if (err) return callback(err, []);
		const bad = addresses.find((a) => internalAddressKind(a.address) !== null);
		if (bad) {
			const kind = internalAddressKind(bad.address);
			return callback(
				new GuardError(
					'blocked_address',
					`${hostname} resolves to a ${kind} address (${bad.address})`
				),
				[]
			);
		}
		if (options.all) return callback(null, addresses);
		const first = addresses[0]!;
		callback(null, first.address, first.family);
	});
}

interface Undici {
	fetch: typeof import('undici').fetch;
	request: typeof import('undici').request;
	/** Checks every resolved address at connect time (SSRF). */
	guarded: Agent;
	/** For the origins an admin allowed to be internal (the home llama.cpp). */
	allowed: Agent;
}

/** undici and the two agents, made at the first outbound call rather than at server start. */
let undici: Promise<Undici> | null = null;
function loadUndici(): Promise<Undici> {
	undici ??= import('undici').then(({ Agent, fetch, request }) => ({
		fetch,
		request,
		guarded: new Agent({ connect: { lookup: guardedLookup as never } }),
		allowed: new Agent()
	}));
	return undici;
}

function checkTarget(url: URL, policy: GuardPolicy): { allowedInternal: boolean } {
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new GuardError(
			'blocked_scheme',
			`Only http and https URLs are allowed (got ${url.protocol})`
		);
	}
	if (url.username || url.password) {
		throw new GuardError('blocked_scheme', 'URLs with embedded credentials are not allowed');
	}
	const allowedInternal = policy.allowedInternalOrigins.has(url.origin);
	const host = url.hostname.replace(/^\[|\]$/g, '');
	if (!allowedInternal && isIP(host)) {
		const kind = internalAddressKind(host);
		if (kind) throw new GuardError('blocked_address', `${host} is a ${kind} address`);
	}
	return { allowedInternal };
}

/**
 * The body, erroring past `maxBytes`. A pull source over the body's reader rather than a
 * TransformStream: one hop per chunk, no read-ahead (a streamed reply passes through at once).
 */
function capBody(body: ReadableStream<Uint8Array> | null, maxBytes: number) {
	if (!body) return null;
	const reader = body.getReader();
	let seen = 0;
	return new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				const { done, value } = await reader.read();
				if (done) return controller.close();
				seen += value.byteLength;
				if (seen > maxBytes) {
					controller.error(
						new GuardError('too_large', `Response is larger than ${maxBytes} bytes`)
					);
					void reader.cancel().catch(() => {});
					return;
				}
				controller.enqueue(value);
			},
			cancel: (reason) => reader.cancel(reason)
		},
		{ highWaterMark: 0 }
	);
}

/** What `postStream` answers: the status, and the body as it arrives (or all of it as text). */
export interface StreamedAnswer {
	status: number;
	ok: boolean;
	body: AsyncIterable<Uint8Array>;
	text(): Promise<string>;
}

/** A fetch-compatible function bound to a policy, for SDKs that accept a custom fetch. */
function createFetch(policy: GuardPolicy) {
	return async function guardedFetch(
		input: string | URL | Request,
		init: RequestInit = {}
	): Promise<Response> {
		let url = new URL(input instanceof Request ? input.url : input.toString());
		const headers = new Headers(
			init.headers ?? (input instanceof Request ? input.headers : undefined)
		);
		let method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
		let body = init.body ?? null;
		const timeout = AbortSignal.timeout(policy.timeoutMs);
		const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;

		const agents = await loadUndici();
		for (let hop = 0; ; hop++) {
			const { allowedInternal } = checkTarget(url, policy);
			let response: Response;
			try {
				response = (await agents.fetch(url, {
					method,
					headers,
					body: body as UndiciRequestInit['body'],
					redirect: 'manual',
					signal,
					dispatcher: allowedInternal ? agents.allowed : agents.guarded
				})) as unknown as Response;
			} catch (error) {
				const cause = (error as { cause?: unknown }).cause;
				if (cause instanceof GuardError) throw cause;
				if (timeout.aborted && !init.signal?.aborted) {
					throw new GuardError('timeout', `No complete answer within ${policy.timeoutMs} ms`);
				}
				throw error;
			}
			const location = response.headers.get('location');
			// `redirect: 'manual'`: the caller reads the redirect's own headers and follows it itself.
			if (
				response.status >= 300 &&
				response.status < 400 &&
				location &&
				init.redirect !== 'manual'
			) {
				await response.body?.cancel();
				if (hop >= MAX_REDIRECTS) throw new GuardError('too_many_redirects', 'Too many redirects');
				const next = new URL(location, url);
				if (policy.httpsRedirectsOnly && next.origin !== url.origin && next.protocol !== 'https:')
					throw new GuardError('blocked_scheme', `A redirect to ${next.origin} is not https`);
				if (next.origin !== url.origin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
				if (
					response.status === 303 ||
					((response.status === 301 || response.status === 302) && method === 'POST')
				) {
					method = 'GET';
					body = null;
					headers.delete('content-type');
				}
				url = next;
				continue;
			}
			const declared = Number(response.headers.get('content-length') ?? 0);
			if (declared > policy.maxResponseBytes) {
				await response.body?.cancel();
				throw new GuardError(
					'too_large',
					`Response is larger than ${policy.maxResponseBytes} bytes`
				);
			}
			return new Response(capBody(response.body, policy.maxResponseBytes), {
				status: response.status,
				statusText: response.statusText,
				headers: response.headers
			});
		}
	};
}

/**
 * A POST whose answer is read as it streams (a model's reply), with the same checks as the fetch:
 * the scheme, the address at connect time, the size and duration caps. undici's request API,
 * not its fetch: the head and the body leave in one write, and the body arrives as a Node stream
 * with no WHATWG stream layers per chunk. A redirect answer goes through the fetch above, which
 * follows redirects with its checks at every hop.
 */
function createPostStream(policy: GuardPolicy, viaFetch: ReturnType<typeof createFetch>) {
	return async function postStream(
		input: string,
		init: { headers: Record<string, string>; body: string; signal?: AbortSignal }
	): Promise<StreamedAnswer> {
		const url = new URL(input);
		const timeout = AbortSignal.timeout(policy.timeoutMs);
		const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
		const agents = await loadUndici();
		const { allowedInternal } = checkTarget(url, policy);
		const send = () =>
			agents.request(url, {
				method: 'POST',
				headers: init.headers,
				body: init.body,
				signal,
				dispatcher: allowedInternal ? agents.allowed : agents.guarded
			});
		let answer: Awaited<ReturnType<Undici['request']>>;
		try {
			// A kept-alive connection the server closed as the request left (llama-server closes
			// its connection after each streamed answer) fails before any answer: the request goes
			// once more on a new connection, as browsers do. An answer that started is never re-sent.
			answer = await send().catch((error: unknown) => {
				if (signal.aborted || !closedBeforeAnswer(error)) throw error;
				return send();
			});
		} catch (error) {
			const cause = (error as { cause?: unknown }).cause;
			if (error instanceof GuardError) throw error;
			if (cause instanceof GuardError) throw cause;
			if (timeout.aborted && !init.signal?.aborted)
				throw new GuardError('timeout', `No complete answer within ${policy.timeoutMs} ms`);
			throw error;
		}
		const { statusCode, headers, body } = answer;
		if (statusCode >= 300 && statusCode < 400 && headers.location) {
			body.resume();
			const res = await viaFetch(input, { method: 'POST', ...init });
			// Node's ReadableStream is async-iterable (the DOM typings do not say so).
			const stream = res.body as unknown as AsyncIterable<Uint8Array> | null;
			return {
				status: res.status,
				ok: res.ok,
				body: stream ?? (async function* () {})(),
				text: () => res.text()
			};
		}
		if (Number(headers['content-length'] ?? 0) > policy.maxResponseBytes) {
			body.destroy();
			throw new GuardError('too_large', `Response is larger than ${policy.maxResponseBytes} bytes`);
		}
		return {
			status: statusCode,
			ok: statusCode >= 200 && statusCode < 300,
			body: capChunks(body, policy.maxResponseBytes),
			text: () => body.text()
		};
	};
}

/** The connection ended before any answer (the server closed it, or reset it). */
function closedBeforeAnswer(error: unknown): boolean {
	const code = (error as { code?: unknown }).code;
	return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** `body`'s chunks, failing past `maxBytes`; leaving early destroys the body. */
async function* capChunks(body: AsyncIterable<Uint8Array>, maxBytes: number) {
	let seen = 0;
	for await (const chunk of body) {
		seen += chunk.byteLength;
		if (seen > maxBytes)
			throw new GuardError('too_large', `Response is larger than ${maxBytes} bytes`);
		yield chunk;
	}
}

/** The guarded fetch, with `postStream` for a streamed model reply. */
export function createGuardedFetch(policy: GuardPolicy) {
	const fetch = createFetch(policy);
	return Object.assign(fetch, { postStream: createPostStream(policy, fetch) });
}

export type GuardedFetch = ReturnType<typeof createFetch> & {
	postStream?: ReturnType<typeof createPostStream>;
};
