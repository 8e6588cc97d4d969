// The chat page's initial JavaScript stays within its budget: what a signed-in GET /c/:id makes
// the browser load before anything lazy (the markdown renderer and shiki load on demand).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addUser, signIn, startHearth, type HearthServer } from '../support/hearth-server';
import { fetchInitialJs, INITIAL_JS_BUDGET_KB } from '../support/initial-js';

let server: HearthServer;
beforeAll(async () => {
	server = await startHearth();
	addUser(server, 'reader', 'reader-password');
});
afterAll(() => server?.stop());

it(`a signed-in chat page preloads at most ${INITIAL_JS_BUDGET_KB} KB of gzipped JS`, async () => {
	const client = await signIn(server, 'reader', 'reader-password');
	const created = await client.json<{ id: number }>('POST', '/api/conversations', {});
	expect(created.status).toBe(201);
	const js = await fetchInitialJs(server.url, `/c/${created.body.id}`, client.cookie);
	expect(js.files.length).toBeGreaterThan(0);
	expect(js.gzipKb, `${js.files.length} files`).toBeLessThanOrEqual(INITIAL_JS_BUDGET_KB);
});
