// Bad input to the OpenAI-compatible /v1 that the sweep of every endpoint found answered 500:
// a NUL character anywhere in the body (PostgreSQL text refuses it, so a model name with one
// failed the preset lookup there). It is refused up front, as on /api, on both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { signIn, type HearthServer } from '../support/hearth-server';
import { startHearthOn, type HearthOn } from '../support/hearth-on';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';

describe.each(DIALECTS)('/v1 bodies with NUL characters (%s)', (dialect) => {
	let server: HearthOn | undefined;
	let stub: StubServer;
	let hearth: HearthServer;
	let secret: string;

	beforeAll(async () => {
		stub = await startOpenAiStub();
		server = await startHearthOn(dialect, [{ username: 'alice', password: 'alice-password' }], {
			LLAMA_URL: stub.url
		});
		hearth = server.hearth;
		const alice = await signIn(hearth, 'alice', 'alice-password');
		const made = await alice.json<{ secret: string }>('POST', '/api/keys', {
			name: 'script',
			saveHistory: true
		});
		secret = made.body.secret;
	}, 60_000);
	afterAll(async () => {
		await server?.stop();
		await stub?.close();
	});

	const post = (path: string, body: string) =>
		fetch(`${hearth.url}${path}`, {
			method: 'POST',
			headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
			body
		});

	it('answers 400 in the OpenAI error shape and sends nothing upstream', async () => {
		const user = '{"role":"user","content":"hi"}';
		for (const [path, body] of [
			['/v1/chat/completions', `{"model":"a\\u0000b","messages":[${user}]}`],
			[
				'/v1/chat/completions',
				'{"model":"llama/gpt-4o-mini","messages":[{"role":"user","content":"h\\u0000i"}]}'
			],
			['/v1/embeddings', '{"model":"x\\u0000","input":"hi"}']
		] as const) {
			const res = await post(path, body);
			expect({ body, status: res.status }).toEqual({ body, status: 400 });
			expect(await res.json()).toMatchObject({
				error: { type: 'invalid_request_error', message: expect.stringMatching(/NUL/) }
			});
		}
		expect(stub.requests.filter((r) => r.path.includes('/chat/completions'))).toEqual([]);
		const fine = await post(
			'/v1/chat/completions',
			`{"model":"llama/gpt-4o-mini","messages":[${user}]}`
		);
		expect(fine.status).toBe(200);
	});
});
