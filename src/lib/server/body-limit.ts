// Request body limits counted as the bytes arrive, so a chunked body (no Content-Length) is held to
// the same limit as a declared one and is never buffered past it. A declared length within the
// limit needs no second count: Node's HTTP parser ends the body at its Content-Length (what
// follows is parsed as the next request) and the adapter refuses a byte past it (`get_raw_body`
// in @sveltejs/kit/node), so the copy (a new Request and stream, ~0.03–0.1 ms a request) is made
// only for bodies without one.

const DECIMAL = /^\d{1,15}$/;

export class BodyTooLargeError extends Error {
	constructor(readonly limit: number) {
		super(`Body is larger than ${limit} bytes`);
	}
}

export interface CappedRequest {
	request: Request;
	/** True once the body went past the limit (its reader then got a BodyTooLargeError). */
	exceeded(): boolean;
}

/**
 * A copy of `request` whose body errors as soon as more than `limit` bytes have arrived. The
 * source is then drained and discarded, never cancelled: cancelling makes the Node adapter destroy
 * the socket before the 413 can be sent. The adapter's BODY_SIZE_LIMIT bounds the drain.
 */
export function capRequestBody(request: Request, limit: number): CappedRequest {
	if (!request.body) return { request, exceeded: () => false };
	const declared = request.headers.get('content-length');
	if (declared !== null && DECIMAL.test(declared) && Number(declared) <= limit)
		return { request, exceeded: () => false };
	const reader = request.body.getReader();
	let size = 0;
	let exceeded = false;
	const drain = async () => {
		try {
			while (!(await reader.read()).done);
		} catch {
			// the client went away or the adapter refused the rest: nothing left to drain
		}
	};
	const body = new ReadableStream<Uint8Array>({
		async pull(controller) {
			const { done, value } = await reader.read();
			if (done) return controller.close();
			size += value.byteLength;
			if (size > limit) {
				exceeded = true;
				controller.error(new BodyTooLargeError(limit));
				void drain();
				return;
			}
			controller.enqueue(value);
		},
		cancel: () => drain()
	});
	const capped = new Request(request.url, {
		method: request.method,
		headers: request.headers,
		signal: request.signal,
		body,
		duplex: 'half'
	} as RequestInit);
	return { request: capped, exceeded: () => exceeded };
}
