import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch, GuardError } from '$lib/server/net/guarded-fetch';
import { listenLocal } from '../../../../tests/support/ports';

let servers: http.Server[] = [];
let trusted = '';
let other = '';

function listen(handler: http.RequestListener): Promise<string> {
	const server = http.createServer(handler);
	servers.push(server);
	return listenLocal(server);
}

beforeAll(async () => {
	other = await listen((req, res) => {
		res.setHeader('content-type', 'application/json');
		res.end(JSON.stringify({ path: req.url, authorization: req.headers.authorization ?? null }));
	});
	trusted = await listen((req, res) => {
		const url = new URL(req.url!, 'http://x');
		if (url.pathname === '/redirect') {
			res.writeHead(302, { location: url.searchParams.get('to')! });
			return res.end();
		}
		if (url.pathname === '/loop') {
			res.writeHead(302, { location: '/loop' });
			return res.end();
		}
		if (url.pathname === '/huge') {
			res.writeHead(200, { 'content-type': 'text/plain' });
			const chunk = 'x'.repeat(64 * 1024);
			let sent = 0;
			const pump = () => {
				while (sent < 64 && res.write(chunk)) sent++;
				if (sent < 64) res.once('drain', pump);
				else res.end();
			};
			return pump();
		}
		if (url.pathname === '/slow') return setTimeout(() => res.end('late'), 2_000);
		res.end(JSON.stringify({ ok: true, authorization: req.headers.authorization ?? null }));
	});
});

afterAll(() => {
	for (const s of servers) s.close();
	servers = [];
});

const guarded = (
	allowed: string[],
	limits: { maxResponseBytes?: number; timeoutMs?: number } = {}
) =>
	createGuardedFetch({
		allowedInternalOrigins: new Set(allowed),
		maxResponseBytes: limits.maxResponseBytes ?? 1024 * 1024,
		timeoutMs: limits.timeoutMs ?? 5_000
	});

async function guardCode(promise: Promise<unknown>) {
	try {
		await promise;
	} catch (error) {
		if (error instanceof GuardError) return error.code;
		throw error;
	}
	return 'no error';
}

describe('guarded fetch', () => {
	it('reaches an allowlisted internal origin', async () => {
		const res = await guarded([trusted])(`${trusted}/`);
		expect(await res.json()).toEqual({ ok: true, authorization: null });
	});

	it.each([
		['loopback', () => `${other}/`],
		['localhost by name', () => `${other.replace('127.0.0.1', 'localhost')}/`],
		['IPv6 loopback', () => 'http://[::1]:9/'],
		['IPv4-mapped IPv6', () => 'http://[::ffff:127.0.0.1]:9/'],
		['0.0.0.0', () => 'http://0.0.0.0:9/'],
		['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/'],
		['10/8', () => 'http://10.0.0.1/'],
		['decimal-encoded loopback', () => `http://2130706433:${new URL(other).port}/`],
		['octal-ish loopback', () => `http://0177.0.0.1:${new URL(other).port}/`]
	])('refuses %s', async (_name, target) => {
		expect(await guardCode(guarded([trusted])(target()))).toBe('blocked_address');
	});

	it.each([
		'file:///etc/passwd',
		'gopher://127.0.0.1:70/',
		'ftp://example.com/',
		'http://user:pw@example.com/'
	])('refuses the URL %s', async (target) => {
		expect(await guardCode(guarded([])(target))).toBe('blocked_scheme');
	});

	it('checks every redirect hop: an allowed origin cannot bounce to an internal one', async () => {
		const hop = `${trusted}/redirect?to=${encodeURIComponent(`${other}/secret`)}`;
		expect(await guardCode(guarded([trusted])(hop))).toBe('blocked_address');
		const toFile = `${trusted}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`;
		expect(await guardCode(guarded([trusted])(toFile))).toBe('blocked_scheme');
		expect(await guardCode(guarded([trusted])(`${trusted}/loop`))).toBe('too_many_redirects');
	});

	it('with httpsRedirectsOnly, follows no plain-http redirect to another origin (model downloads)', async () => {
		const hop = `${trusted}/redirect?to=${encodeURIComponent(`${other}/landing`)}`;
		const strict = createGuardedFetch({
			allowedInternalOrigins: new Set([trusted, other]),
			maxResponseBytes: 1024,
			timeoutMs: 5_000,
			httpsRedirectsOnly: true
		});
		expect(await guardCode(strict(hop))).toBe('blocked_scheme');
		// The same origin may redirect over http (a hub mirror on the LAN).
		const same = `${trusted}/redirect?to=${encodeURIComponent('/')}`;
		expect(await (await strict(same)).json()).toMatchObject({ ok: true });
		// `redirect: 'manual'` hands the redirect itself back, with its headers.
		const manual = await strict(hop, { redirect: 'manual' });
		expect(manual.status).toBe(302);
		expect(manual.headers.get('location')).toBe(`${other}/landing`);
	});

	it('drops credentials when a redirect changes origin', async () => {
		const hop = `${trusted}/redirect?to=${encodeURIComponent(`${other}/landing`)}`;
		const res = await guarded([trusted, other])(hop, {
			headers: { authorization: 'Bearer sk-secret' }
		});
		expect(await res.json()).toEqual({ path: '/landing', authorization: null });
		const same = await guarded([trusted])(`${trusted}/`, {
			headers: { authorization: 'Bearer sk-secret' }
		});
		expect(await same.json()).toMatchObject({ authorization: 'Bearer sk-secret' });
	});

	it('caps the response size and the duration', async () => {
		const res = await guarded([trusted], { maxResponseBytes: 256 * 1024 })(`${trusted}/huge`);
		expect(await guardCode(res.text())).toBe('too_large');
		expect(await guardCode(guarded([trusted], { timeoutMs: 300 })(`${trusted}/slow`))).toBe(
			'timeout'
		);
	});
});

describe('guarded postStream (a model reply read as it streams)', () => {
	const post = (fetch: ReturnType<typeof guarded>, url: string) =>
		fetch.postStream!(url, { headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
	const readAll = async (body: AsyncIterable<Uint8Array>) => {
		let bytes = 0;
		for await (const chunk of body) bytes += chunk.byteLength;
		return bytes;
	};

	it('reaches an allowlisted origin and keeps the fetch’s address and scheme checks', async () => {
		const res = await post(guarded([trusted]), `${trusted}/`);
		expect(res.ok).toBe(true);
		expect(JSON.parse(await res.text())).toEqual({ ok: true, authorization: null });
		expect(await guardCode(post(guarded([trusted]), `${other}/`))).toBe('blocked_address');
		const byName = `${other.replace('127.0.0.1', 'localhost')}/`;
		expect(await guardCode(post(guarded([trusted]), byName))).toBe('blocked_address');
		expect(await guardCode(post(guarded([]), 'file:///etc/passwd'))).toBe('blocked_scheme');
	});

	it('caps the streamed size and the duration', async () => {
		const res = await post(guarded([trusted], { maxResponseBytes: 100_000 }), `${trusted}/huge`);
		expect(await guardCode(readAll(res.body))).toBe('too_large');
		const slow = post(guarded([trusted], { timeoutMs: 300 }), `${trusted}/slow`);
		expect(await guardCode(slow)).toBe('timeout');
	});

	it('follows a redirect through the fetch, checking every hop', async () => {
		const to = `${trusted}/redirect?to=${encodeURIComponent(`${other}/`)}`;
		expect(await guardCode(post(guarded([trusted]), to))).toBe('blocked_address');
	});

	it('sends once more on a new connection when a kept-alive one closes before any answer', async () => {
		// Each connection answers its first request and drops at its second, unanswered: the
		// server closing a kept-alive connection just as the next request left on it.
		const served = new WeakMap<object, number>();
		let answered = 0;
		const closing = await listen((req, res) => {
			const count = (served.get(req.socket) ?? 0) + 1;
			served.set(req.socket, count);
			if (count > 1) return req.socket.destroy();
			answered += 1;
			res.setHeader('content-type', 'application/json');
			res.end(JSON.stringify({ n: answered }));
		});
		const fetch = guarded([closing]);
		for (let i = 1; i <= 3; i++) {
			const res = await post(fetch, `${closing}/`);
			expect(JSON.parse(await res.text())).toEqual({ n: i });
		}
	});

	it('does not send again when the answer had started', async () => {
		let requests = 0;
		const breaking = await listen((_req, res) => {
			requests += 1;
			res.writeHead(200, { 'content-type': 'text/event-stream' });
			res.write('data: 1\n\n', () => res.socket?.destroy());
		});
		const res = await post(guarded([breaking]), `${breaking}/`);
		await expect(readAll(res.body)).rejects.toThrow();
		expect(requests).toBe(1);
	});
});
