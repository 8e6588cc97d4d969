import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipJson, GZIP_MIN_BYTES } from './compress';
import { json } from './http';

const big = { text: 'a conversation '.repeat(GZIP_MIN_BYTES) };
const get = (acceptEncoding?: string) =>
	new Request('http://hearth.local/api/conversations/1', {
		headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding }
	});

describe('gzipJson', () => {
	it('gzips a large JSON answer for a client that accepts gzip, and it reads back the same', async () => {
		const res = gzipJson(get('gzip, deflate, br'), json(big, 201));
		expect(res.status).toBe(201);
		expect(res.headers.get('content-encoding')).toBe('gzip');
		expect(res.headers.get('content-length')).toBeNull();
		expect(res.headers.get('vary')).toMatch(/accept-encoding/);
		const body = Buffer.from(await res.arrayBuffer());
		expect(body.length).toBeLessThan(JSON.stringify(big).length / 4);
		expect(JSON.parse(gunzipSync(body).toString('utf8'))).toEqual(big);
	});

	it.each([
		['no accept-encoding', undefined],
		['gzip refused', 'gzip;q=0, br'],
		['another encoding only', 'br']
	])('leaves the answer alone with %s', (_name, accept) => {
		const original = json(big);
		expect(gzipJson(get(accept), original)).toBe(original);
	});

	it('leaves small answers, downloads, streams and other types alone', () => {
		const cases = [
			json({ ok: true }),
			json(big, 200, { 'content-disposition': 'attachment; filename="a.json"' }),
			new Response(new ReadableStream(), { headers: { 'content-type': 'text/event-stream' } }),
			new Response(JSON.stringify(big), { headers: { 'content-type': 'application/json' } }),
			new Response('x'.repeat(4 * GZIP_MIN_BYTES), {
				headers: { 'content-type': 'text/html', 'content-length': String(4 * GZIP_MIN_BYTES) }
			})
		];
		for (const response of cases) expect(gzipJson(get('gzip'), response)).toBe(response);
	});
});
