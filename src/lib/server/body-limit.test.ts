import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, capRequestBody } from '$lib/server/body-limit';

const CHUNK_BYTES = 16 * 1024;

/** A chunked upload (no Content-Length) of `chunks` × 16 KiB that records how much was pulled. */
function chunkedRequest(chunks: number) {
	const source = { pulled: 0, cancelled: false };
	const body = new ReadableStream<Uint8Array>({
		pull(controller) {
			if (source.pulled++ < chunks) controller.enqueue(new Uint8Array(CHUNK_BYTES).fill(0x61));
			else controller.close();
		},
		cancel() {
			source.cancelled = true;
		}
	});
	const request = new Request('http://x/login', {
		method: 'POST',
		body,
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		duplex: 'half'
	} as RequestInit);
	return { request, source };
}

describe('capRequestBody', () => {
	it('passes a body within the limit through unchanged', async () => {
		const { request } = chunkedRequest(3);
		const capped = capRequestBody(request, 4 * CHUNK_BYTES);
		expect((await capped.request.text()).length).toBe(3 * CHUNK_BYTES);
		expect(capped.exceeded()).toBe(false);
		expect(capped.request.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
	});

	it('fails the reader of a chunked body at the limit; the rest is drained, never kept or cancelled', async () => {
		const { request, source } = chunkedRequest(250); // ≈ 4 MB, as in the attack
		const capped = capRequestBody(request, 64 * 1024);
		await expect(capped.request.formData()).rejects.toThrow();
		expect(capped.exceeded()).toBe(true);
		await expect.poll(() => source.pulled).toBeGreaterThan(250);
		expect(source.cancelled).toBe(false);
	});

	it('reports the limit in its error', async () => {
		const { request } = chunkedRequest(10);
		const reader = capRequestBody(request, CHUNK_BYTES).request.body!.getReader();
		await reader.read();
		await expect(reader.read()).rejects.toBeInstanceOf(BodyTooLargeError);
	});

	it('leaves a body alone whose declared length is within the limit (the adapter holds it to that)', () => {
		const declared = (length: string) =>
			new Request('http://x/api', {
				method: 'POST',
				body: '{"a":1}',
				headers: { 'content-type': 'application/json', 'content-length': length }
			});
		const within = declared('7');
		expect(capRequestBody(within, 7).request).toBe(within);
		// Past the limit, or not a plain length: counted as it arrives.
		for (const length of ['8', '7.0', '0x7', '1e1']) {
			const request = declared(length);
			expect(capRequestBody(request, 7).request).not.toBe(request);
		}
	});

	it('leaves a request without a body alone', () => {
		const request = new Request('http://x/');
		expect(capRequestBody(request, 1).request).toBe(request);
	});
});
