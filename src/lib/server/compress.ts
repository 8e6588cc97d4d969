// JSON answers of /api are gzipped for clients that accept it. The chat page's first screen waits
// for its conversation: 50 messages are about 42 KB of JSON and 10 KB gzipped, the difference a
// phone on a slow network feels (a Pi often serves Hearth without a proxy in front to compress).
// Only whole answers of known size are touched (SvelteKit's `json()` sets their length): event
// streams, downloads and anything already encoded pass as they are.

/** Smaller answers gain less than gzip's own overhead and the work. */
export const GZIP_MIN_BYTES = 1024;

function acceptsGzip(request: Request): boolean {
	return (request.headers.get('accept-encoding') ?? '')
		.split(',')
		.some((part) => /^\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*$)[\d.]+\s*)?$/i.test(part));
}

export function gzipJson(request: Request, response: Response): Response {
	const { headers } = response;
	const length = Number(headers.get('content-length') ?? NaN);
	if (
		!response.body ||
		!(length >= GZIP_MIN_BYTES) ||
		headers.has('content-encoding') ||
		headers.has('content-disposition') ||
		!/^application\/json\b/i.test(headers.get('content-type') ?? '') ||
		!acceptsGzip(request)
	)
		return response;
	const compressed = new Response(response.body.pipeThrough(new CompressionStream('gzip')), {
		status: response.status,
		statusText: response.statusText,
		headers
	});
	compressed.headers.delete('content-length');
	compressed.headers.set('content-encoding', 'gzip');
	compressed.headers.append('vary', 'accept-encoding');
	return compressed;
}
