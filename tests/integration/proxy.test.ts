// Hearth behind a real TLS reverse proxy (Debian's nginx on loopback, gzip on), as behind a
// tunnel: replies stream through unbuffered, the client IP comes from the header the proxy sets
// (never from one a client made up), and secure cookies and the origin check work under the
// public hostname.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSse } from '$lib/client/sse';
import type { SendResultDto } from '$lib/shared/dto';
import { startSlowLlamaServer, type LlamaServer } from '../support/llama-server';
import { addUser, startHearth, type HearthServer } from '../support/hearth-server';
import { startNginx, type ReverseProxy } from '../support/nginx';
import { freePort } from '../support/ports';

const HOSTNAME = 'chat.hearth.test';

describe('behind a TLS reverse proxy', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let proxy: ReverseProxy;
	let cookie = '';
	let login: Awaited<ReturnType<ReverseProxy['fetch']>>;

	beforeAll(async () => {
		llama = await startSlowLlamaServer({ contextSize: 2048 });
		const port = await freePort();
		proxy = await startNginx({
			upstream: `http://127.0.0.1:${port}`,
			hostname: HOSTNAME,
			clientIpHeader: 'X-Real-IP'
		});
		hearth = await startHearth({
			PORT: String(port),
			ORIGIN: proxy.origin,
			TRUST_PROXY_HEADER: 'X-Real-IP',
			LLAMA_URL: llama.url
		});
		addUser(hearth, 'pia', 'pia-password');
		login = await json('POST', '/api/auth/login', { username: 'pia', password: 'pia-password' });
		cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
	}, 120_000);
	afterAll(async () => {
		await proxy?.stop();
		await hearth?.stop();
		await llama?.stop();
	});

	const json = (method: string, pathname: string, body?: unknown, headers = {}) =>
		proxy.fetch(pathname, {
			method,
			headers: {
				origin: proxy.origin,
				...(cookie ? { cookie } : {}),
				...(body ? { 'content-type': 'application/json' } : {}),
				...headers
			},
			body: body ? JSON.stringify(body) : undefined
		});

	it('signs in with a Secure cookie, sends HSTS, and refuses foreign origins', async () => {
		expect(login.status).toBe(200);
		const setCookie = login.headers.get('set-cookie')!;
		// __Host-: the browser refuses it unless Secure, Path=/ and without Domain, so no other
		// host under the same site can plant or shadow the session cookie.
		expect(setCookie).toMatch(/^__Host-hearth_session=[a-z2-7]{32};/);
		expect(setCookie).toMatch(/; Path=\/(;|$)/i);
		expect(setCookie).not.toMatch(/; Domain=/i);
		expect(setCookie).toMatch(/; Secure/i);
		expect(setCookie).toMatch(/; HttpOnly/i);
		expect(setCookie).toMatch(/; SameSite=Lax/i);
		expect(login.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
		expect((await json('GET', '/api/me')).status).toBe(200);

		expect((await json('POST', '/api/conversations', {})).status).toBe(201);
		const foreign = await json(
			'POST',
			'/api/conversations',
			{},
			{ origin: 'https://evil.example' }
		);
		expect(foreign.status).toBe(403);

		// The sign-in form under the public hostname: SvelteKit's form origin check uses ORIGIN.
		const form = (origin: string) =>
			proxy.fetch('/login', {
				method: 'POST',
				redirect: 'manual',
				headers: {
					origin,
					accept: 'text/html',
					'content-type': 'application/x-www-form-urlencoded'
				},
				body: new URLSearchParams({ username: 'pia', password: 'pia-password' }).toString()
			});
		const ok = await form(proxy.origin);
		expect(ok.status).toBe(303);
		expect(ok.headers.get('set-cookie')).toMatch(/^__Host-hearth_session=.*; Secure/i);
		// The plain name is not read on HTTPS: a cookie planted under it signs nobody in.
		const token = /=([a-z2-7]{32})/.exec(cookie)![1];
		const planted = await json('GET', '/api/me', undefined, {
			cookie: `hearth_session=${token}`
		});
		expect(planted.status).toBe(401);
		expect((await form('https://evil.example')).status).toBe(403);
	});

	it('streams a reply sent and streamed in one request through the proxy as it is written', async () => {
		const created = await json('POST', '/api/conversations', {});
		const { id } = (await created.json()) as { id: number };
		const res = await json(
			'POST',
			`/api/conversations/${id}/messages`,
			{ content: 'Stream through the proxy.', maxTokens: 300 },
			{ accept: 'text/event-stream', 'accept-encoding': 'gzip' }
		);
		expect(res.status).toBe(202);
		expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
		let jobId = 0;
		let deltas = 0;
		let stateAtFirstDelta = '';
		let end = '';
		for await (const event of parseSse(res.body as ReadableStream<Uint8Array>)) {
			if (event.event === 'job') jobId = (JSON.parse(event.data) as SendResultDto).job.id;
			if (event.event === 'delta' && deltas++ === 0) {
				const active = (await (await json('GET', '/api/jobs')).json()) as {
					jobs: { id: number; state: string }[];
				};
				stateAtFirstDelta = active.jobs.find((j) => j.id === jobId)?.state ?? 'finished';
			}
			if (event.event === 'done' || event.event === 'error') {
				end = event.event;
				break;
			}
		}
		// The first words arrived while the reply was still being written: nothing held them back.
		expect(stateAtFirstDelta).toBe('running');
		expect(deltas).toBeGreaterThan(10);
		expect(end).toBe('done');
	});

	it('a reconnecting subscriber streams through gzip on the proxy without being held back', async () => {
		const created = await json('POST', '/api/conversations', {});
		const { id } = (await created.json()) as { id: number };
		const sent = (await (
			await json('POST', `/api/conversations/${id}/messages`, {
				content: 'Stream through gzip.',
				maxTokens: 300
			})
		).json()) as SendResultDto;
		const res = await json('GET', `/api/jobs/${sent.job.id}/events`, undefined, {
			'accept-encoding': 'gzip'
		});
		expect(res.status).toBe(200);
		// nginx compresses it (gzip_types includes text/event-stream here), and flushes per event.
		expect(res.headers.get('content-encoding')).toBe('gzip');
		let deltas = 0;
		let stateAtFirstDelta = '';
		for await (const event of parseSse(res.body as ReadableStream<Uint8Array>)) {
			if (event.event === 'delta' && deltas++ === 0) {
				const active = (await (await json('GET', '/api/jobs')).json()) as {
					jobs: { id: number; state: string }[];
				};
				stateAtFirstDelta = active.jobs.find((j) => j.id === sent.job.id)?.state ?? 'finished';
			}
			if (event.event === 'done' || event.event === 'error') break;
		}
		expect(stateAtFirstDelta).toBe('running');
		expect(deltas).toBeGreaterThan(10);
	});

	it('takes the client IP from the header the proxy sets, never from one the client sends', async () => {
		// 30 failed sign-ins through the proxy, each claiming another address: all count against
		// the proxy's view of the client (127.0.0.1), so the 31st is throttled.
		for (let i = 0; i < 30; i++) {
			const res = await json(
				'POST',
				'/api/auth/login',
				{ username: `nobody${i}`, password: 'wrong-password' },
				{ 'x-real-ip': `198.51.100.${i + 1}`, 'x-forwarded-for': `192.0.2.${i + 1}` }
			);
			expect(res.status).toBe(401);
		}
		const throttled = await json(
			'POST',
			'/api/auth/login',
			{ username: 'nobody-else', password: 'wrong-password' },
			{ 'x-real-ip': '203.0.114.99' }
		);
		expect(throttled.status).toBe(429);
		// The proxy's header is what Hearth reads: another client behind the proxy is unaffected.
		const other = await fetch(`${hearth.url}/api/auth/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-real-ip': '192.0.2.200' },
			body: JSON.stringify({ username: 'pia', password: 'pia-password' })
		});
		expect(other.status).toBe(200);
	}, 60_000);
});
