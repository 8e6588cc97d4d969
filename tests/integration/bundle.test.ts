// The chat page's initial JavaScript stays within its budget: what a signed-in GET /c/:id makes
// the browser load before anything lazy (the markdown renderer and shiki load on demand).
import fs from 'node:fs';
import path from 'node:path';
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
	console.log(`chat page initial JS: ${js.gzipKb.toFixed(1)} KB gzipped, ${js.files.length} files`);
	expect(js.gzipKb, `${js.files.length} files`).toBeLessThanOrEqual(INITIAL_JS_BUDGET_KB);
	// The device copy (Dexie) loads on demand: none of it is in what the page loads up front.
	const withDexie = js.files.filter((url) =>
		fs
			.readFileSync(path.join('build/client', new URL(url, `${server.url}/c/`).pathname))
			.includes('DexieError')
	);
	expect(withDexie).toEqual([]);
});
