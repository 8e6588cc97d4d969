// Ids past what an id column holds. The id columns are PostgreSQL `integer` (at most 2^31 - 1):
// PostgreSQL refuses to compare one with a larger number, and such an id in a path, a body or a
// query answered 500 there (SQLite, with wider integers, answered 404). Found by the sweep of
// every endpoint; both databases must now answer alike: 404 for a path id, 400 for a body or
// query id, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { signIn, type ApiClient, type HearthServer } from '../support/hearth-server';
import { startHearthOn, type HearthOn } from '../support/hearth-on';

/** Past PostgreSQL's `integer`; the last is what `parseId` let through before (15 digits). */
const TOO_BIG = ['2147483648', '99999999999', '999999999999999'];

const USER_PATHS: [string, string][] = [
	['GET', '/api/conversations/:id'],
	['PATCH', '/api/conversations/:id'],
	['DELETE', '/api/conversations/:id'],
	['POST', '/api/conversations/:id/messages'],
	['POST', '/api/conversations/:id/regenerate'],
	['POST', '/api/conversations/:id/branch'],
	['GET', '/api/conversations/:id/export?format=json'],
	['GET', '/api/imports/:id'],
	['POST', '/api/imports/:id/cancel'],
	['POST', '/api/jobs/:id/cancel'],
	['GET', '/api/jobs/:id/events'],
	['POST', '/api/messages/:id/continue'],
	['PATCH', '/api/presets/:id'],
	['DELETE', '/api/presets/:id'],
	['PATCH', '/api/prompts/:id'],
	['DELETE', '/api/prompts/:id'],
	['DELETE', '/api/keys/:id']
];

const ADMIN_PATHS: [string, string][] = [
	['DELETE', '/api/admin/keys/:id'],
	['PATCH', '/api/admin/policy/rules/:id'],
	['DELETE', '/api/admin/policy/rules/:id'],
	['GET', '/api/admin/policy/rules/:id/refusals'],
	['GET', '/api/admin/local-models/downloads/:id'],
	['POST', '/api/admin/local-models/downloads/:id/cancel'],
	['PUT', '/api/usage/budgets/:id']
];

/** A body each route would accept, so only the id is wrong. */
const BODIES: Record<string, unknown> = {
	'PATCH /api/conversations/:id': { title: 'renamed' },
	'POST /api/conversations/:id/messages': { content: 'hello' },
	'POST /api/conversations/:id/regenerate': { messageId: 1 },
	'POST /api/conversations/:id/branch': { messageId: 1 },
	'POST /api/messages/:id/continue': {},
	'PATCH /api/presets/:id': { name: 'renamed' },
	'PATCH /api/prompts/:id': { title: 'renamed' },
	'PATCH /api/admin/policy/rules/:id': { name: 'renamed' },
	'PUT /api/usage/budgets/:id': { monthlyUsd: 5 }
};

describe.each(DIALECTS)('ids past the id columns (%s)', (dialect) => {
	let server: HearthOn | undefined;
	let hearth: HearthServer;
	let admin: ApiClient;
	let alice: ApiClient;
	let conversationId: number;

	beforeAll(async () => {
		server = await startHearthOn(dialect, [
			{ username: 'root', password: 'root-password', admin: true },
			{ username: 'alice', password: 'alice-password' }
		]);
		hearth = server.hearth;
		admin = await signIn(hearth, 'root', 'root-password');
		alice = await signIn(hearth, 'alice', 'alice-password');
		const made = await alice.json<{ id: number }>('POST', '/api/conversations', { title: 'mine' });
		conversationId = made.body.id;
	}, 60_000);
	afterAll(async () => {
		await server?.stop();
	});

	async function expectError(client: ApiClient, method: string, path: string, status: number) {
		const template = `${method} ${path}`;
		for (const id of TOO_BIG) {
			const pathname = path.replace(':id', id);
			const body = BODIES[template] ?? (method === 'GET' || method === 'DELETE' ? undefined : {});
			const res = await client.call(method, pathname, body);
			const answer = { status: res.status, body: await res.text() };
			expect(answer, `${method} ${pathname}`).toMatchObject({ status });
			expect(JSON.parse(answer.body), `${method} ${pathname}`).toMatchObject({
				error: { code: expect.any(String), message: expect.any(String) }
			});
		}
	}

	it('a path id too big for the column is 404, as for any unknown id', async () => {
		for (const [method, path] of USER_PATHS) await expectError(alice, method, path, 404);
		for (const [method, path] of ADMIN_PATHS) await expectError(admin, method, path, 404);
	});

	it("the admin page's invite revoke with such an id is a failure 404", async () => {
		const res = await fetch(`${hearth.url}/admin?/revoke`, {
			method: 'POST',
			headers: {
				cookie: admin.cookie,
				origin: hearth.url,
				'content-type': 'application/x-www-form-urlencoded',
				'x-sveltekit-action': 'true'
			},
			body: 'id=2147483648'
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ type: 'failure', status: 404 });
	});

	it('a body id too big for the column is a 400, and nothing is stored', async () => {
		const c = `/api/conversations/${conversationId}`;
		for (const [path, body] of [
			[`${c}/messages`, { content: 'hello', parentId: 2147483648 }],
			[`${c}/regenerate`, { messageId: 2147483648 }],
			[`${c}/branch`, { messageId: 99999999999 }],
			['/api/images', { prompt: 'a hearth', conversationId: 9007199254740991 }]
		] as const) {
			const res = await alice.json<{ error: { code: string } }>('POST', path, body);
			expect({ path, status: res.status, code: res.body.error?.code }).toEqual({
				path,
				status: 400,
				code: 'invalid_request'
			});
		}
		const list = await alice.json<{ conversations: unknown[] }>('GET', '/api/conversations');
		expect(list.body.conversations).toHaveLength(1);
		const mine = await alice.json<{ messages: unknown[] }>('GET', c);
		expect(mine.body.messages).toEqual([]);
	});

	it('a query id too big for the column is a 400', async () => {
		for (const [client, path] of [
			[alice, `/api/conversations/${conversationId}?before=2147483648`],
			[alice, '/api/usage?conversationId=2147483648'],
			[alice, '/api/sync?have=2147483648'],
			[alice, `/api/sync?have=${conversationId},99999999999`],
			[alice, '/api/me/security-events?before=2147483648'],
			[admin, '/api/admin/security-events?before=9007199254740993'],
			[admin, '/api/admin/policy/rules/1/refusals?before=2147483648']
		] as const) {
			const res = await client.call('GET', path);
			expect({ path, status: res.status }).toEqual({ path, status: 400 });
		}
	});
});
