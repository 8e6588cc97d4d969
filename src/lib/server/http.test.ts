import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { failureResponse, failureStatus, readJson } from '$lib/server/http';

const Body = z.object({ name: z.string().min(1) });
const post = (body: BodyInit, type = 'application/json') =>
	new Request('http://x/api', { method: 'POST', body, headers: { 'content-type': type } });

async function errorOf(request: Request, limit?: number) {
	const result = await readJson(request, Body, limit);
	if (result.ok) throw new Error('expected a failure');
	return { status: result.response.status, body: await result.response.json() };
}

describe('readJson', () => {
	it('parses a valid body', async () => {
		expect(await readJson(post('{"name":"a"}'), Body)).toEqual({ ok: true, value: { name: 'a' } });
	});

	it('answers each kind of bad input with a 4xx and a clear message', async () => {
		expect(await errorOf(post('{"name":1}'))).toEqual({
			status: 400,
			body: { error: { code: 'invalid_request', message: expect.stringMatching(/^name: /) } }
		});
		expect(await errorOf(post('{nope'))).toMatchObject({
			status: 400,
			body: { error: { code: 'invalid_json' } }
		});
		expect(await errorOf(post('name=a', 'application/x-www-form-urlencoded'))).toMatchObject({
			status: 415
		});
		expect(await errorOf(post(JSON.stringify({ name: 'x'.repeat(100) })), 50)).toMatchObject({
			status: 413
		});
		expect(await errorOf(post('[]'))).toMatchObject({ status: 400 });
		for (const nul of ['{"name":"a\\u0000b"}', '{"name":"a","x\\u0000":1}', '{"name":["\\u0000"]}'])
			expect(await errorOf(post(nul))).toEqual({
				status: 400,
				body: { error: { code: 'invalid_request', message: expect.stringMatching(/NUL/) } }
			});
		// An escaped backslash followed by "u0000" is ordinary text.
		expect(await readJson(post('{"name":"a\\\\u0000"}'), Body)).toEqual({
			ok: true,
			value: { name: 'a\\u0000' }
		});
		expect(await errorOf(post(''))).toMatchObject({
			status: 400,
			body: { error: { code: 'invalid_json' } }
		});
	});

	it('caps a streamed body that has no content-length', async () => {
		let sent = 0;
		const stream = new ReadableStream({
			pull(controller) {
				if (sent++ < 100) controller.enqueue(new TextEncoder().encode('x'.repeat(1024)));
				else controller.close();
			}
		});
		const request = new Request('http://x/api', {
			method: 'POST',
			body: stream,
			headers: { 'content-type': 'application/json' },
			duplex: 'half'
		} as RequestInit);
		expect(await errorOf(request, 10_000)).toMatchObject({ status: 413 });
	});
});

describe('failureResponse', () => {
	it.each([
		['not_found', 404, 'not_found'],
		['invalid', 400, 'invalid_request'],
		['too_many_jobs', 429, 'too_many_jobs'],
		['conversation_full', 409, 'conversation_full'],
		['invalid_credentials', 401, 'invalid_credentials'],
		['busy', 503, 'busy'],
		['last_admin', 400, 'last_admin']
	])('maps %s to %i with code %s', async (code, status, wire) => {
		const response = failureResponse({ code, message: 'm' });
		expect(response.status).toBe(status);
		expect(failureStatus(code)).toBe(status);
		expect(await response.json()).toEqual({ error: { code: wire, message: 'm' } });
	});

	it('says when to retry a throttled request', () => {
		const response = failureResponse({ code: 'throttled', message: 'm', retryAfterSeconds: 7 });
		expect(response.status).toBe(429);
		expect(response.headers.get('retry-after')).toBe('7');
	});
});
