import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { redirect } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { requireUser } from '$lib/server/guards';
import { isSetupNeeded } from '$lib/server/services/accounts';
import { isTwoFactorRequired } from '$lib/server/services/two-factor';
import { getLogger, loggablePath } from '$lib/server/log';
import { getRuntime, startJobRunner, startRuntime, stopRuntime } from '$lib/server/runtime';
import { SHUTDOWN_DONE } from '$lib/server/shutdown';
import { clientIp } from '$lib/server/client-ip';
import { errorResponse, JSON_BODY_LIMIT_BYTES } from '$lib/server/http';
import { capRequestBody } from '$lib/server/body-limit';
import { gzipJson } from '$lib/server/compress';
import { MAX_IMPORT_UPLOAD_BYTES } from '$lib/server/imports/limits';
import { MAX_ATTACHMENT_BYTES } from '$lib/shared/attachments';
import { isAllowedHost } from '$lib/server/host-check';
import { chatPagePreloads } from '$lib/server/page-preloads';
import { authenticateApiKey } from '$lib/server/services/api-keys';
import { isV1, v1Error, V1_BODY_LIMIT_BYTES } from '$lib/server/openai-http';
import { databaseUnavailable, type DatabaseUnavailable } from '$lib/server/db/errors';
import {
	clearSessionCookie,
	sessionCookieName,
	setSessionCookie,
	validateSessionToken
} from '$lib/server/auth/session';

export const init: ServerInit = async () => {
	await startRuntime();
	await startJobRunner();
	// `hearth serve` emits this on SIGTERM/SIGINT: running replies end as interrupted, text kept,
	// and serve waits for that (the promise is handed over under a global symbol) before exiting.
	process.once('sveltekit:shutdown' as 'exit', () => {
		(globalThis as Record<symbol, unknown>)[SHUTDOWN_DONE] = stopRuntime();
	});
};

const FORM_BODY_LIMIT_BYTES = 64 * 1024;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PUBLIC_API_PATHS = new Set([
	'/api/auth/login',
	'/api/auth/login/code',
	'/api/auth/passkey',
	'/api/auth/passkey/options'
]);
const ERROR_CODES: Record<number, string> = {
	400: 'bad_request',
	401: 'unauthorized',
	403: 'forbidden',
	404: 'not_found',
	405: 'method_not_allowed',
	413: 'payload_too_large',
	415: 'unsupported_media_type',
	421: 'unknown_host',
	429: 'rate_limited'
};

/** What a user who must still set up two-factor sign-in can reach. */
const ENROLMENT_PAGES = new Set(['/settings/two-factor', '/logout', '/login', '/login/code']);
const ENROLMENT_API = /^\/api\/(me|me\/two-factor(\/[a-z-]+)?|auth\/logout)$/;

const isApi = (pathname: string) => pathname === '/api' || pathname.startsWith('/api/');
/** The one route whose body is a file: streamed to disk by the route, so it may be large. */
const IMPORT_UPLOAD_PATH = '/api/imports';
/** Multipart framing around the file(s). */
const IMPORT_UPLOAD_OVERHEAD_BYTES = 1024 * 1024;

/** An attachment upload: one file read into memory by the route (services/attachments.ts). */
const ATTACHMENT_UPLOAD_PATH = '/api/attachments';
const ATTACHMENT_UPLOAD_OVERHEAD_BYTES = 64 * 1024;

function bodyLimitFor(method: string, pathname: string): number {
	if (isV1(pathname)) return V1_BODY_LIMIT_BYTES;
	if (method === 'POST' && pathname === IMPORT_UPLOAD_PATH)
		return MAX_IMPORT_UPLOAD_BYTES + IMPORT_UPLOAD_OVERHEAD_BYTES;
	if (method === 'POST' && pathname === ATTACHMENT_UPLOAD_PATH)
		return MAX_ATTACHMENT_BYTES + ATTACHMENT_UPLOAD_OVERHEAD_BYTES;
	return isApi(pathname) ? JSON_BODY_LIMIT_BYTES : FORM_BODY_LIMIT_BYTES;
}
/** The offline shell holds nothing of anyone; every other chat page needs a signed-in user. */
const isGatedChatPage = (routeId: string | null) =>
	routeId !== null && routeId.startsWith('/(chat)') && routeId !== '/(chat)/shell';

function withHeaders(response: Response, headers: Record<string, string>): Response {
	let target = response;
	try {
		for (const [name, value] of Object.entries(headers)) target.headers.set(name, value);
	} catch {
		// Immutable headers (e.g. a fetched response): copy once, then set.
		target = new Response(response.body, response);
		for (const [name, value] of Object.entries(headers)) target.headers.set(name, value);
	}
	return target;
}

/** Errors of the database itself (locked, full, restarting), seen by `handleError`. */
const unavailableSeen = new WeakMap<App.Locals, DatabaseUnavailable>();

/** A 503 that says why and when to retry: the request saved nothing (one transaction each). */
function unavailableResponse(pathname: string, down: DatabaseUnavailable): Response {
	const retry = { 'retry-after': String(down.retryAfterSeconds) };
	if (isV1(pathname)) return v1Error(503, down.code, down.message, down.retryAfterSeconds);
	if (isApi(pathname)) return errorResponse(503, down.code, down.message, retry);
	return new Response(down.message, {
		status: 503,
		headers: { 'content-type': 'text/plain; charset=utf-8', ...retry }
	});
}

/**
 * The message of an error answered in text by SvelteKit: the text when plain, never an HTML page
 * (a malformed URL in a path is answered with the error page).
 */
async function plainMessage(response: Response): Promise<string> {
	const plain = /^text\/plain\b/i.test(response.headers.get('content-type') ?? '');
	const text = plain ? (await response.text()).slice(0, 200) : '';
	if (text) return text;
	return response.status === 400 ? 'The request is malformed (its URL or body)' : 'Request failed';
}

/** Security headers everywhere; API errors of any origin in the one JSON error shape. */
const shapeResponses: Handle = async ({ event, resolve }) => {
	const started = performance.now();
	let response: Response;
	let down: DatabaseUnavailable | null;
	try {
		response = await resolve(event);
		down = response.status === 500 ? (unavailableSeen.get(event.locals) ?? null) : null;
	} catch (error) {
		// A hook's own query failed (the session check while the database is locked).
		down = databaseUnavailable(error);
		if (!down) throw error;
		getLogger().warn({ code: down.code }, down.message);
		response = new Response(null, { status: 500 });
	}
	const api = isApi(event.url.pathname);
	const v1 = isV1(event.url.pathname);
	if (down) {
		response = unavailableResponse(event.url.pathname, down);
	} else if (
		v1 &&
		response.status >= 400 &&
		!/json/.test(response.headers.get('content-type') ?? '')
	) {
		const status = response.status;
		response = v1Error(
			status,
			status === 404 ? 'unknown_url' : (ERROR_CODES[status] ?? null),
			status === 404
				? `Unknown request URL: ${event.request.method} ${event.url.pathname.slice(0, 200)}`
				: await plainMessage(response)
		);
	} else if (v1 && response.status >= 500) {
		response = v1Error(response.status, null, 'Something went wrong on the server');
	} else if (
		api &&
		response.status >= 400 &&
		!/json/.test(response.headers.get('content-type') ?? '')
	) {
		const status = response.status;
		const message =
			status === 404
				? `No API route ${event.request.method} ${event.url.pathname}`
				: status === 405
					? `${event.request.method} is not allowed on ${event.url.pathname}`
					: await plainMessage(response);
		const allow = response.headers.get('allow');
		response = errorResponse(
			status,
			ERROR_CODES[status] ?? 'error',
			message,
			allow ? { allow } : {}
		);
	} else if (api && response.status >= 500 && response.status !== 503) {
		// A deliberate 503 (busy: try again) keeps its code and message; anything else is hidden.
		response = errorResponse(response.status, 'internal', 'Something went wrong on the server');
	}
	const headers: Record<string, string> = {
		'x-content-type-options': 'nosniff',
		'referrer-policy': 'same-origin',
		'x-frame-options': 'DENY',
		'cross-origin-opener-policy': 'same-origin',
		'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()'
	};
	if (event.url.protocol === 'https:') {
		headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
	}
	// API answers and anything rendered for a signed-in user stay out of shared and back caches.
	if ((api || v1 || event.locals.user) && !response.headers.has('cache-control')) {
		headers['cache-control'] = 'no-store';
	}
	// An unread request body would stall the next request on this keep-alive connection.
	if (event.request.body && !event.request.bodyUsed) headers.connection = 'close';
	getRuntime().metrics.http(
		event.route.id ?? 'unmatched',
		event.request.method,
		response.status,
		(performance.now() - started) / 1000
	);
	const shaped = withHeaders(response, headers);
	return api ? gzipJson(event.request, shaped) : shaped;
};

/**
 * Bodies are counted as they arrive (chunked ones too). Past the limit the route's reader fails
 * and the answer is a 413 at once; the rest of the body is read and discarded (up to the
 * adapter's BODY_SIZE_LIMIT) so the client, still sending, gets to read that answer.
 */
const bodyLimit: Handle = async ({ event, resolve }) => {
	const length = Number(event.request.headers.get('content-length') ?? 0);
	const limit = bodyLimitFor(event.request.method, event.url.pathname);
	const message = `Body is larger than ${limit} bytes`;
	const tooLarge = () =>
		isV1(event.url.pathname)
			? v1Error(413, 'payload_too_large', message)
			: errorResponse(413, 'payload_too_large', message);
	if (length > limit) return tooLarge();
	const capped = capRequestBody(event.request, limit);
	event.request = capped.request;
	const response = await resolve(event);
	return capped.exceeded() ? tooLarge() : response;
};

/** The top path segments whose hooks below key on the raw `event.url.pathname`. */
const GUARDED_PREFIXES = new Set(['api', 'v1']);

/**
 * SvelteKit routes on the percent-decoded path, so `/%61pi/keys` reaches the /api/keys route
 * while every check here (sign-in, origin, two-factor, API key) sees a path outside /api and /v1.
 * Such a spelling is refused before those checks.
 */
const encodedPrefix: Handle = async ({ event, resolve }) => {
	const first = event.url.pathname.split('/')[1] ?? '';
	if (!first.includes('%')) return resolve(event);
	let decoded: string;
	try {
		decoded = decodeURI(first);
	} catch {
		return errorResponse(400, 'invalid_request', 'The path is not valid percent-encoding');
	}
	if (GUARDED_PREFIXES.has(decoded)) return errorResponse(404, 'not_found', 'Not found');
	return resolve(event);
};

/** Without ORIGIN the Host header decides the origin, so it must name this machine (DNS rebinding). */
const hostCheck: Handle = async ({ event, resolve }) => {
	const { config } = getRuntime();
	if (config.origin || isAllowedHost(event.url.hostname, config.allowedHosts))
		return resolve(event);
	return errorResponse(
		421,
		'unknown_host',
		`This server does not answer to the name "${event.url.hostname.slice(0, 100)}". ` +
			'Set ORIGIN to the public address, or list the name in ALLOWED_HOSTS.'
	);
};

const ipRateLimit: Handle = async ({ event, resolve }) => {
	const { config, ipLimiter } = getRuntime();
	event.locals.clientIp = clientIp(event, config.trustProxyHeader);
	const v1 = isV1(event.url.pathname);
	const counted = v1 || isApi(event.url.pathname) || !SAFE_METHODS.has(event.request.method);
	if (counted) {
		const limit = ipLimiter.take(event.locals.clientIp);
		if (!limit.ok) {
			if (v1)
				return v1Error(
					429,
					'rate_limit_exceeded',
					'Too many requests; slow down',
					limit.retryAfterSeconds
				);
			return errorResponse(429, 'rate_limited', 'Too many requests; slow down', {
				'retry-after': String(limit.retryAfterSeconds)
			});
		}
	}
	return resolve(event);
};

/** The bearer secret of an `Authorization: Bearer …` header, or null. */
function bearerToken(request: Request): string | null {
	const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '');
	return match ? match[1]! : null;
}

/**
 * /v1 answers to a personal API key alone (a session cookie is not looked at, so a page cannot
 * spend a signed-in user's quota); the key counts against its owner's rate and its own.
 */
const apiKeyAuth: Handle = async ({ event, resolve }) => {
	event.locals.apiKey = null;
	if (!isV1(event.url.pathname)) return resolve(event);
	event.locals.user = null;
	event.locals.session = null;
	event.locals.twoFactor = false;
	const { db, userLimiter, apiKeyLimiter } = getRuntime();
	const token = bearerToken(event.request);
	if (!token)
		return v1Error(
			401,
			'invalid_api_key',
			'You did not provide an API key. Send it as "Authorization: Bearer hth_…".'
		);
	const identity = await authenticateApiKey(db, token);
	if (!identity.ok) return v1Error(401, identity.code, identity.message);
	event.locals.user = identity.user;
	event.locals.apiKey = identity.key;
	const own = identity.key.rateLimitPerMinute;
	const limits = [
		own === null ? ({ ok: true } as const) : apiKeyLimiter.take(`key:${identity.key.id}`, own),
		userLimiter.take(`user:${identity.user.id}`)
	];
	for (const limit of limits)
		if (!limit.ok)
			return v1Error(
				429,
				'rate_limit_exceeded',
				'Too many requests; slow down',
				limit.retryAfterSeconds
			);
	return resolve(event);
};

const auth: Handle = async ({ event, resolve }) => {
	if (isV1(event.url.pathname)) return apiKeyAuth({ event, resolve });
	event.locals.apiKey = null;
	const { db, userLimiter } = getRuntime();
	event.locals.user = null;
	event.locals.session = null;
	event.locals.twoFactor = false;
	const secure = event.url.protocol === 'https:';
	const token = event.cookies.get(sessionCookieName(secure));
	if (token) {
		const result = await validateSessionToken(db, token);
		if (result.ok) {
			event.locals.user = result.user;
			event.locals.session = result.session;
			event.locals.twoFactor = result.twoFactor;
			if (result.renewed) setSessionCookie(event.cookies, token, result.session.expiresAt, secure);
		} else {
			clearSessionCookie(event.cookies, secure);
		}
	}
	// Two-factor required for everyone: a user without it sees only the enrolment page (and can
	// sign out) until it is on.
	if (
		event.locals.user &&
		!event.locals.twoFactor &&
		!isApi(event.url.pathname) &&
		event.route.id !== null &&
		!ENROLMENT_PAGES.has(event.route.id) &&
		(await isTwoFactorRequired(db))
	) {
		redirect(303, '/settings/two-factor');
	}
	// The chat pages render in the browser (they must work offline from the cached shell), so
	// their sign-in gate is here rather than in a server load.
	if (!event.locals.user && isGatedChatPage(event.route.id)) {
		if (await isSetupNeeded(db)) redirect(303, '/setup');
		requireUser(event.locals, event.url);
	}
	if (isApi(event.url.pathname) && !PUBLIC_API_PATHS.has(event.url.pathname)) {
		if (!event.locals.user) return errorResponse(401, 'unauthorized', 'Sign in first');
		if (!event.locals.twoFactor && !ENROLMENT_API.test(event.url.pathname)) {
			if (await isTwoFactorRequired(db)) {
				return errorResponse(403, 'two_factor_required', 'Set up two-factor sign-in first');
			}
		}
		const limit = userLimiter.take(`user:${event.locals.user.id}`);
		if (!limit.ok) {
			return errorResponse(429, 'rate_limited', 'Too many requests; slow down', {
				'retry-after': String(limit.retryAfterSeconds)
			});
		}
	}
	const preloads =
		event.locals.user && event.request.method === 'GET'
			? chatPagePreloads(event.route.id, event.params)
			: null;
	if (!preloads) return resolve(event);
	const response = await resolve(event);
	const html = response.ok && response.headers.get('content-type')?.startsWith('text/html');
	if (html) response.headers.append('link', preloads);
	return response;
};

/** What a cross-site HTML form can send (SvelteKit's list, plus its remote-form encoding). */
const FORM_CONTENT_TYPE =
	/^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain|application\/x-sveltekit-formdata)\s*(;|$)/i;

/**
 * Cross-site writes are refused here, for forms (SvelteKit's own check, which answers before
 * any hook and so cannot give /api its JSON error shape, is off in svelte.config.js) and for JSON
 * requests carrying the session cookie (Origin, or Sec-Fetch-Site when Origin is absent). A form
 * post without an Origin is refused, as SvelteKit does.
 */
const originCheck: Handle = async ({ event, resolve }) => {
	// /v1 carries no ambient credential (a bearer key only), so a cross-site page gains nothing.
	if (SAFE_METHODS.has(event.request.method) || isV1(event.url.pathname)) return resolve(event);
	const api = isApi(event.url.pathname);
	const form = FORM_CONTENT_TYPE.test(event.request.headers.get('content-type') ?? '');
	if (!api && !form) return resolve(event);
	const origin = event.request.headers.get('origin');
	const site = event.request.headers.get('sec-fetch-site');
	const foreign = origin
		? origin !== event.url.origin
		: form || (site !== null && site !== 'same-origin' && site !== 'none');
	if (!foreign) return resolve(event);
	if (api) return errorResponse(403, 'cross_origin', 'Cross-origin requests are not allowed');
	return new Response(`Cross-site ${event.request.method} form submissions are forbidden`, {
		status: 403,
		headers: { 'content-type': 'text/plain; charset=utf-8' }
	});
};

export const handle: Handle = sequence(
	shapeResponses,
	encodedPrefix,
	bodyLimit,
	hostCheck,
	ipRateLimit,
	auth,
	originCheck
);

export const handleError: HandleServerError = ({ error, event, status, message }) => {
	// SvelteKit's own 4xx (unknown route, a JSON body sent to a form action): the client's fault.
	if (status < 500) return { message, code: ERROR_CODES[status] ?? 'bad_request' };
	const down = databaseUnavailable(error);
	if (down) {
		// Answered 503 with Retry-After by `shapeResponses`; a busy or full disk is not a bug.
		unavailableSeen.set(event.locals, down);
		getLogger().warn({ code: down.code, path: loggablePath(event.url.pathname) }, down.message);
		return { message: down.message, code: down.code };
	}
	const errorId = crypto.randomUUID();
	getLogger().error(
		{
			errorId,
			path: loggablePath(event.url.pathname),
			err: error instanceof Error ? error : String(error)
		},
		'unhandled error'
	);
	return { message: 'Something went wrong on the server', code: 'internal', errorId };
};
