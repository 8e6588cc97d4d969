// The JSON API under bad input: every answer is a 4xx with { error: { code, message } }, never a
// 500 or a stack trace.
import {
	expect,
	request as playwrightRequest,
	test,
	type APIRequestContext
} from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { ensureUser } from './helpers';
import { chatgptLinearConversation } from '../support/import-fixtures';
import type { ImportDto } from '$lib/shared/imports';

const USER = { username: 'apiuser', password: 'api-user-password' };
let api: APIRequestContext;
let origin: string;

test.beforeAll(async ({ baseURL }) => {
	origin = baseURL!;
	ensureUser(USER.username, USER.password);
	api = await playwrightRequest.newContext({ baseURL: origin, extraHTTPHeaders: { origin } });
});

test.afterAll(() => api.dispose());

async function expectError(
	response: Awaited<ReturnType<APIRequestContext['post']>>,
	status: number,
	code?: string
) {
	expect(response.status()).toBe(status);
	expect(response.headers()['content-type']).toMatch(/application\/json/);
	const body = (await response.json()) as { error: { code: string; message: string } };
	expect(body).toEqual({
		error: { code: code ?? expect.any(String), message: expect.any(String) }
	});
	expect(JSON.stringify(body)).not.toMatch(/at .*\.js:\d+/);
	return body.error as { code: string; message: string };
}

async function freshSession() {
	const context = await playwrightRequest.newContext({
		baseURL: origin,
		extraHTTPHeaders: { origin }
	});
	const login = await context.post('/api/auth/login', { data: USER });
	expect(login.status()).toBe(200);
	const cookie = login.headers()['set-cookie']!;
	return { context, cookie, token: /hearth_session=([^;]+)/.exec(cookie)![1]! };
}

test('JSON login sets a hardened session cookie and /api/me answers', async () => {
	const { context, cookie } = await freshSession();
	expect(cookie).toMatch(/HttpOnly/i);
	expect(cookie).toMatch(/SameSite=Lax/i);
	expect(cookie).toMatch(/Path=\//);
	const me = await context.get('/api/me');
	expect(await me.json()).toEqual({
		user: { id: expect.any(Number), username: USER.username, role: 'user' }
	});
	await context.dispose();
});

test('login: malformed, incomplete, mistyped and oversized bodies', async () => {
	const post = (data: string, type = 'application/json') =>
		api.post('/api/auth/login', { data: Buffer.from(data), headers: { 'content-type': type } });
	await expectError(await post('{"username":'), 400, 'invalid_json');
	expect(
		(await expectError(await post('{"username":"a"}'), 400, 'invalid_request')).message
	).toMatch(/^password/);
	await expectError(await post('{"username":1,"password":[]}'), 400, 'invalid_request');
	await expectError(await post('"just a string"'), 400, 'invalid_request');
	await expectError(await post('username=a&password=b', 'application/x-www-form-urlencoded'), 415);
	const huge = JSON.stringify({ username: 'a', password: 'x'.repeat(2 * 1024 * 1024) });
	await expectError(await post(huge), 413, 'payload_too_large');
	await expectError(
		await post(JSON.stringify({ username: '\u0000\ud800💥', password: 'x' })),
		400,
		'invalid_request'
	);
	await expectError(await post(JSON.stringify({ username: '\ud800💥', password: 'x' })), 401);
});

test('an unknown user and a wrong password get the same answer', async () => {
	const wrong = await api.post('/api/auth/login', {
		data: { username: USER.username, password: 'nope-nope' }
	});
	const unknown = await api.post('/api/auth/login', {
		data: { username: 'no-such-user', password: 'nope-nope' }
	});
	expect(wrong.status()).toBe(401);
	expect(unknown.status()).toBe(401);
	expect(await wrong.json()).toEqual(await unknown.json());
});

test('malformed, forged and replayed session cookies get 401, never 500', async () => {
	const cookies = [
		'hearth_session=',
		'hearth_session=%E0%A4%A',
		'hearth_session=abcdefghijklmnopqrstuvwxyz234567',
		`hearth_session=${'a'.repeat(4000)}`,
		'hearth_session="quoted"; other=1',
		'garbage-without-equals'
	];
	for (const cookie of cookies) {
		await expectError(await api.get('/api/me', { headers: { cookie } }), 401, 'unauthorized');
	}
	const { context, token } = await freshSession();
	expect((await context.post('/api/auth/logout')).status()).toBe(204);
	await expectError(
		await api.get('/api/me', { headers: { cookie: `hearth_session=${token}` } }),
		401
	);
	await context.dispose();
});

test('a session token planted before sign-in is not adopted (no fixation)', async () => {
	const planted = 'abcdefghijklmnopqrstuvwxyz234567';
	const login = await api.post('/api/auth/login', {
		data: USER,
		headers: { cookie: `hearth_session=${planted}` }
	});
	const issued = /hearth_session=([^;]+)/.exec(login.headers()['set-cookie']!)![1];
	expect(issued).not.toBe(planted);
	await expectError(
		await api.get('/api/me', { headers: { cookie: `hearth_session=${planted}` } }),
		401
	);
});

test('cross-origin JSON writes are refused with 403, even with a valid session', async () => {
	const { context, cookie } = await freshSession();
	const session = cookie.split(';')[0]!;
	const fromEvil = await api.post('/api/auth/logout', {
		headers: { cookie: session, origin: 'https://evil.example' }
	});
	await expectError(fromEvil, 403, 'cross_origin');
	const crossSite = await playwrightRequest.newContext({ baseURL: origin });
	await expectError(
		await crossSite.post('/api/auth/logout', {
			headers: { cookie: session, 'sec-fetch-site': 'cross-site' }
		}),
		403,
		'cross_origin'
	);
	// A cross-site HTML form (form-encoded, no JSON): refused in the same JSON shape, not as text.
	await expectError(
		await api.post('/api/auth/logout', {
			headers: { cookie: session, origin: 'https://evil.example' },
			form: { a: '1' }
		}),
		403,
		'cross_origin'
	);
	expect((await context.get('/api/me')).status()).toBe(200);
	await crossSite.dispose();
	await context.dispose();
});

test('device sync: bad cursors, limits and id lists are 400; signed out is 401', async () => {
	const anonymous = await playwrightRequest.newContext({ baseURL: origin });
	await expectError(await anonymous.get('/api/sync'), 401, 'unauthorized');
	await anonymous.dispose();
	const { context } = await freshSession();
	for (const query of [
		'since=abc',
		'since=-1',
		'limit=1e3',
		'limit=9999',
		'have=1,,2',
		'have=1,x',
		`have=${Array.from({ length: 401 }, (_, i) => i + 1).join(',')}`
	])
		await expectError(await context.get(`/api/sync?${query}`), 400, 'invalid_request');
	const ok = await context.get('/api/sync?since=0&limit=5&have=999999');
	expect(ok.status()).toBe(200);
	expect(await ok.json()).toMatchObject({ cursor: 0, conversations: [], changed: [] });
	await context.dispose();
});

test("search, usage, branch, regenerate, images and settings: bad input is 4xx, others' ids 404", async () => {
	const anonymous = await playwrightRequest.newContext({ baseURL: origin });
	for (const path of ['/api/search?q=x', '/api/usage', '/api/me/settings', '/api/images/abc'])
		await expectError(await anonymous.get(path), 401, 'unauthorized');
	await anonymous.dispose();
	const { context } = await freshSession();
	await expectError(await context.get(`/api/search?q=${'a'.repeat(201)}`), 400, 'invalid_request');
	for (const limit of ['0', '51', 'x', '-1'])
		await expectError(await context.get(`/api/search?q=a&limit=${limit}`), 400, 'invalid_request');
	const empty = await context.get('/api/search?q=%22%20OR%20*');
	expect(empty.status()).toBe(200);
	expect(await empty.json()).toEqual({ hits: [] });
	await expectError(await context.get('/api/usage?conversationId=abc'), 400, 'invalid_request');
	const usage = await context.get('/api/usage');
	expect(await usage.json()).toMatchObject({ overall: { promptTokens: 0, costMicroUsd: 0 } });

	for (const data of [
		{ localCostPerMillionUsd: -1 },
		{ localCostPerMillionUsd: 'free' },
		{ other: 1 }
	])
		await expectError(await context.patch('/api/me/settings', { data }), 400, 'invalid_request');
	const saved = await context.patch('/api/me/settings', { data: { localCostPerMillionUsd: 0.5 } });
	expect(await saved.json()).toEqual({ localCostPerMillionUsd: 0.5 });

	const created = await context.post('/api/conversations', { data: {} });
	const { id } = (await created.json()) as { id: number };
	for (const data of [{}, { messageId: 'x' }, { messageId: 1, extra: true }]) {
		await expectError(await context.post(`/api/conversations/${id}/branch`, { data }), 400);
		await expectError(await context.post(`/api/conversations/${id}/regenerate`, { data }), 400);
	}
	await expectError(
		await context.post(`/api/conversations/${id}/branch`, { data: { messageId: 999999 } }),
		400,
		'invalid_request'
	);
	await expectError(
		await context.post(`/api/conversations/${id}/regenerate`, { data: { messageId: 999999 } }),
		400,
		'invalid_request'
	);
	await expectError(
		await context.post('/api/conversations/999999/branch', { data: { messageId: 1 } }),
		404,
		'not_found'
	);
	for (const data of [
		{},
		{ prompt: '' },
		{ prompt: 'x'.repeat(4001) },
		{ prompt: 'x', conversationId: 'y' }
	])
		await expectError(await context.post('/api/images', { data }), 400, 'invalid_request');
	await expectError(
		await context.post('/api/images', { data: { prompt: 'a fox' } }),
		400,
		'image_unavailable'
	);
	await expectError(
		await context.post('/api/images', { data: { prompt: 'a fox', conversationId: 999999 } }),
		404,
		'not_found'
	);
	for (const name of ['abc', '..%2F..%2Fhearth.db', 'AAAAAAAAAAAAAAAAAAAAAA'])
		await expectError(await context.get(`/api/images/${name}`), 404, 'not_found');
	await context.dispose();
});

test("exports: a bad format is 400, another user's conversation 404, downloads are attachments", async () => {
	const anonymous = await playwrightRequest.newContext({ baseURL: origin });
	await expectError(await anonymous.get('/api/export'), 401, 'unauthorized');
	await anonymous.dispose();
	const { context } = await freshSession();
	const created = await context.post('/api/conversations', { data: { title: 'Mine: "quoted"' } });
	const { id } = (await created.json()) as { id: number };
	for (const query of ['', '?format=', '?format=docx', '?format=PDF', '?format=md&format=x'])
		await expectError(
			await context.get(`/api/conversations/${id}/export${query}`),
			400,
			'invalid_request'
		);
	for (const leaf of ['x', '-1', '0', '1&leaf=2'])
		await expectError(
			await context.get(`/api/conversations/${id}/export?format=md&leaf=${leaf}`),
			400,
			'invalid_request'
		);
	for (const format of ['md', 'json', 'pdf']) {
		const ok = await context.get(`/api/conversations/${id}/export?format=${format}`);
		expect(ok.status()).toBe(200);
		expect(ok.headers()['content-disposition']).toBe(
			`attachment; filename="Mine-quoted.${format}"; filename*=UTF-8''Mine-quoted.${format}`
		);
		expect(ok.headers()['x-content-type-options']).toBe('nosniff');
	}
	ensureUser('apiother', 'api-other-password');
	const other = await playwrightRequest.newContext({
		baseURL: origin,
		extraHTTPHeaders: { origin }
	});
	await other.post('/api/auth/login', {
		data: { username: 'apiother', password: 'api-other-password' }
	});
	for (const format of ['md', 'json', 'pdf'])
		await expectError(
			await other.get(`/api/conversations/${id}/export?format=${format}`),
			404,
			'not_found'
		);
	await expectError(await other.get('/api/conversations/abc/export?format=md'), 404, 'not_found');
	const zip = await other.get('/api/export');
	expect(zip.status()).toBe(200);
	expect(zip.headers()['content-type']).toBe('application/zip');
	const entries = unzipSync(new Uint8Array(await zip.body()));
	expect(Object.keys(entries)).toEqual(['hearth.json']);
	expect(JSON.parse(strFromU8(entries['hearth.json']!))).toMatchObject({ conversations: [] });
	await other.dispose();
	await context.dispose();
});

test('unknown API routes and methods answer in the JSON error shape', async () => {
	const { context } = await freshSession();
	await expectError(await context.get('/api/does-not-exist'), 404, 'not_found');
	await expectError(await context.delete('/api/me'), 405, 'method_not_allowed');
	const anonymous = await playwrightRequest.newContext({ baseURL: origin });
	await expectError(await anonymous.get('/api/does-not-exist'), 401, 'unauthorized');
	await anonymous.dispose();
	await context.dispose();
});

test('form posts: malformed or oversized bodies are 4xx', async () => {
	const anonymous = await playwrightRequest.newContext({
		baseURL: origin,
		extraHTTPHeaders: { origin }
	});
	const malformed = await anonymous.post('/login', {
		data: '--x\r\nbroken',
		headers: { 'content-type': 'multipart/form-data; boundary=zzz', accept: 'text/html' },
		maxRedirects: 0
	});
	expect(malformed.status()).toBeGreaterThanOrEqual(400);
	expect(malformed.status()).toBeLessThan(500);
	const big = await anonymous.post('/login', {
		form: { username: 'a', password: 'x'.repeat(100_000) },
		maxRedirects: 0
	});
	expect(big.status()).toBe(413);
	await anonymous.dispose();
});

test('health, readiness and security headers', async () => {
	expect(await (await api.get('/healthz')).json()).toEqual({ status: 'ok' });
	expect(await (await api.get('/readyz')).json()).toEqual({
		status: 'ready',
		instance: expect.stringMatching(/^[0-9a-f-]{36}$/),
		checks: { database: 'ok' }
	});
	const page = await api.get('/login');
	const headers = page.headers();
	expect(headers['content-security-policy']).toContain("default-src 'self'");
	expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
	expect(headers['content-security-policy']).toContain("object-src 'none'");
	expect(headers['x-content-type-options']).toBe('nosniff');
	expect(headers['referrer-policy']).toBe('same-origin');
	expect(headers['strict-transport-security']).toBeUndefined();
});

test('imports: 202 then progress; bad uploads are 4xx; another user’s import is 404', async () => {
	const { context } = await freshSession();
	// Larger than the 1 MiB JSON limit: the upload route streams to disk under its own limit.
	const many = Array.from({ length: 60 }, (_, i) => chatgptLinearConversation(`api-${i}`, 6, 400));
	const buffer = Buffer.from(JSON.stringify(many));
	expect(buffer.length).toBeGreaterThan(1024 * 1024);
	const started = await context.post('/api/imports', {
		multipart: { file: { name: 'conversations.json', mimeType: 'application/json', buffer } }
	});
	expect(started.status()).toBe(202);
	const { import: created } = (await started.json()) as { import: ImportDto };
	expect(created).toMatchObject({ id: expect.any(Number), state: 'queued', format: null, done: 0 });
	let finished: ImportDto | null = null;
	await expect(async () => {
		const got = (await (await context.get(`/api/imports/${created.id}`)).json()) as {
			import: ImportDto;
		};
		expect(got.import.state).toBe('done');
		finished = got.import;
	}).toPass({ timeout: 20_000 });
	expect(finished).toMatchObject({ format: 'chatgpt', done: 60, total: 60, problems: [] });

	// A second user sees none of it.
	ensureUser('apiuser2', 'api-user2-password');
	const other = await playwrightRequest.newContext({
		baseURL: origin,
		extraHTTPHeaders: { origin }
	});
	expect(
		(
			await other.post('/api/auth/login', {
				data: { username: 'apiuser2', password: 'api-user2-password' }
			})
		).status()
	).toBe(200);
	await expectError(await other.get(`/api/imports/${created.id}`), 404, 'not_found');
	await expectError(await other.post(`/api/imports/${created.id}/cancel`), 404, 'not_found');
	await other.dispose();

	await expectError(await context.get('/api/imports/abc'), 404, 'not_found');
	await expectError(await context.post('/api/imports', { data: { file: 'x' } }), 415);
	await expectError(
		await context.post('/api/imports', { multipart: { other: 'field' } }),
		400,
		'invalid_request'
	);
	await expectError(
		await context.post('/api/imports', {
			headers: { 'content-type': 'multipart/form-data; boundary=zzz' },
			data: '--zzz\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n[1,'
		}),
		400,
		'invalid_request'
	);
	// A file of the wrong shape is accepted, then fails with a clear problem.
	const wrong = await context.post('/api/imports', {
		multipart: {
			file: { name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('{"a":1}') }
		}
	});
	expect(wrong.status()).toBe(202);
	const wrongId = ((await wrong.json()) as { import: ImportDto }).import.id;
	await expect(async () => {
		const got = (await (await context.get(`/api/imports/${wrongId}`)).json()) as {
			import: ImportDto;
		};
		expect(got.import.state).toBe('failed');
		expect(got.import.problems![0]!.message).toMatch(/not an export Hearth can read/);
	}).toPass({ timeout: 10_000 });
	await context.dispose();
});
