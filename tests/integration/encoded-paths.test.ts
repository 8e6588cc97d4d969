// SvelteKit routes on the percent-decoded path: `/%61pi/keys` is the /api/keys route. The hooks
// key their checks (sign-in, origin, two-factor, API key) on the raw path, so such a spelling
// must be refused before it reaches a route — found by the attack on today's endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';

describe('percent-encoded /api and /v1 prefixes', () => {
	let hearth: HearthServer;
	let alice: ApiClient;
	beforeAll(async () => {
		hearth = await startHearth();
		addUser(hearth, 'alice', 'alice-password');
		alice = await signIn(hearth, 'alice', 'alice-password');
	}, 60_000);
	afterAll(() => hearth?.stop());

	it('does not let a cross-origin request with the cookie create an API key', async () => {
		const res = await fetch(`${hearth.url}/%61pi/keys`, {
			method: 'POST',
			headers: {
				cookie: alice.cookie,
				origin: 'https://evil.example',
				'content-type': 'application/json'
			},
			body: JSON.stringify({ name: 'planted' })
		});
		expect(res.status).toBe(404);
		expect((await alice.json<{ keys: unknown[] }>('GET', '/api/keys')).body.keys).toEqual([]);
	});

	it('answers 404 JSON, not 500, without a session', async () => {
		for (const pathname of ['/%61pi/keys', '/%61%70%69/me']) {
			const res = await fetch(`${hearth.url}${pathname}`);
			expect(res.status, pathname).toBe(404);
			expect(res.headers.get('content-type'), pathname).toMatch(/json/);
		}
	});

	it('does not open /v1 to a cookie or to no credential at all', async () => {
		const anonymous = await fetch(`${hearth.url}/%761/models`);
		expect(anonymous.status).toBe(404);
		const withCookie = await fetch(`${hearth.url}/%761/chat/completions`, {
			method: 'POST',
			headers: { cookie: alice.cookie, 'content-type': 'application/json' },
			body: JSON.stringify({ model: 'llama/x', messages: [{ role: 'user', content: 'hi' }] })
		});
		expect(withCookie.status).toBe(404);
	});

	// Found by the sweep of every endpoint: the error page's HTML came back as the JSON message.
	it('answers a broken encoding in an API path in the JSON shape with a short message', async () => {
		const { body: made } = await alice.json<{ key: { id: number }; secret: string }>(
			'POST',
			'/api/keys',
			{
				name: 'sweep'
			}
		);
		for (const [pathname, headers] of [
			['/api/attachments/%ED%A0%80', { cookie: alice.cookie }],
			['/api/me/sessions/%E0%A4%A', { cookie: alice.cookie }],
			['/v1/models/%ED%A0%80', { authorization: `Bearer ${made.secret}` }]
		] as const) {
			const res = await fetch(`${hearth.url}${pathname}`, { headers });
			expect(res.status, pathname).toBe(400);
			const { error } = (await res.json()) as { error: { message: string } };
			expect(error.message, pathname).toBe('The request is malformed (its URL or body)');
		}
		expect((await alice.call('DELETE', `/api/keys/${made.key.id}`)).status).toBe(200);
	});

	it('still serves other encoded paths and answers a broken encoding with 400', async () => {
		expect((await fetch(`${hearth.url}/%E0%A4%A/x`)).status).toBe(400);
		expect((await alice.call('GET', '/api/keys')).status).toBe(200);
	});
});
