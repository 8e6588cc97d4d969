// JSON responses and request parsing for the API: every error is { error: { code, message } }
// with a 4xx status, bodies are read with a size cap, and shapes are checked with zod.
import type { z } from 'zod';

export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;

export function json(data: unknown, status = 200, headers: HeadersInit = {}): Response {
	const body = JSON.stringify(data);
	return new Response(body, {
		status,
		headers: {
			'content-type': 'application/json; charset=utf-8',
			// Its size lets the response shaping gzip the large ones (compress.ts).
			'content-length': String(Buffer.byteLength(body)),
			...headers
		}
	});
}

export function errorResponse(
	status: number,
	code: string,
	message: string,
	headers: HeadersInit = {},
	/** Figures a client can act on, e.g. a context overflow's `needed` and `available` tokens. */
	figures: Record<string, number> = {}
): Response {
	return json({ error: { code, message, ...figures } }, status, {
		'cache-control': 'no-store',
		...headers
	});
}

/** The HTTP status for each code a service refuses with (`{ ok: false, code }`); others are 400. */
export const FAILURE_STATUS: Partial<Record<string, number>> = {
	invalid: 400,
	invalid_credentials: 401,
	not_found: 404,
	budget_exceeded: 402,
	conflict: 409,
	conversation_full: 409,
	not_continuable: 409,
	context_overflow: 413,
	forbidden: 403,
	setup_done: 409,
	username_taken: 409,
	name_taken: 409,
	invalid_invite: 410,
	too_many_jobs: 429,
	too_many_uploads: 429,
	model_cannot_see: 422,
	too_large: 413,
	unsupported_type: 415,
	type_mismatch: 415,
	no_text_layer: 422,
	encrypted: 422,
	corrupt: 422,
	too_complex: 422,
	throttled: 429,
	upstream: 502,
	busy: 503
};

/** Service codes whose name on the wire differs. */
const WIRE_CODE: Partial<Record<string, string>> = { invalid: 'invalid_request' };

export function failureStatus(code: string): number {
	return FAILURE_STATUS[code] ?? 400;
}

/** A service's refusal as the API's JSON error, with Retry-After when it says when to retry. */
export function failureResponse(failure: {
	code: string;
	message: string;
	retryAfterSeconds?: number;
	needed?: number;
	available?: number;
}): Response {
	const headers: Record<string, string> =
		failure.retryAfterSeconds === undefined
			? {}
			: { 'retry-after': String(failure.retryAfterSeconds) };
	return errorResponse(
		failureStatus(failure.code),
		WIRE_CODE[failure.code] ?? failure.code,
		failure.message,
		headers,
		failure.needed !== undefined && failure.available !== undefined
			? { needed: failure.needed, available: failure.available }
			: {}
	);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

/**
 * Reads the body up to `limit` bytes; null when larger. Past the limit the rest is drained, not
 * cancelled: cancelling makes the Node adapter destroy the socket before our 413 can be sent.
 * The adapter's own BODY_SIZE_LIMIT bounds how much is drained.
 */
export async function readCapped(request: Request, limit: number): Promise<string | null> {
	if (!request.body) return '';
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			size += value.byteLength;
			if (size <= limit) chunks.push(value);
		}
	} catch {
		return null;
	}
	return size > limit ? null : new TextDecoder().decode(Buffer.concat(chunks));
}

function describeIssue(issue: z.core.$ZodIssue): string {
	const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
	return `${where}: ${issue.message}`;
}

export async function readJson<S extends z.ZodType>(
	request: Request,
	schema: S,
	limit = JSON_BODY_LIMIT_BYTES
): Promise<Parsed<z.output<S>>> {
	const type = request.headers.get('content-type') ?? '';
	if (!/^application\/json\b/i.test(type)) {
		return {
			ok: false,
			response: errorResponse(415, 'unsupported_media_type', 'Send the body as application/json')
		};
	}
	const text = await readCapped(request, limit);
	if (text === null) {
		return {
			ok: false,
			response: errorResponse(413, 'payload_too_large', `Body is larger than ${limit} bytes`)
		};
	}
	let body: unknown;
	let nul = false;
	try {
		// NUL cannot be stored (PostgreSQL text refuses it) and is never meaningful in Hearth.
		body = JSON.parse(text, (key, value: unknown) => {
			if (key.includes('\0') || (typeof value === 'string' && value.includes('\0'))) nul = true;
			return value;
		});
	} catch {
		return { ok: false, response: errorResponse(400, 'invalid_json', 'Body is not valid JSON') };
	}
	if (nul) {
		return {
			ok: false,
			response: errorResponse(
				400,
				'invalid_request',
				'Text must not contain NUL (\\u0000) characters'
			)
		};
	}
	const result = schema.safeParse(body);
	if (!result.success) {
		return {
			ok: false,
			response: errorResponse(400, 'invalid_request', describeIssue(result.error.issues[0]!))
		};
	}
	return { ok: true, value: result.data };
}
