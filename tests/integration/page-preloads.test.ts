// The open conversation's first screen: its page names the data it will ask for (Link preloads)
// so the browser fetches it alongside the scripts, and that data comes gzipped when large.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addUser, signIn, startHearth, type HearthServer } from '../support/hearth-server';

let server: HearthServer;
beforeAll(async () => {
	server = await startHearth();
	addUser(server, 'reader', 'reader-password');
	addUser(server, 'other', 'other-password');
});
afterAll(() => server?.stop());

it('a signed-in conversation page preloads the user and that conversation; the shell does not', async () => {
	const client = await signIn(server, 'reader', 'reader-password');
	const { body } = await client.json<{ id: number }>('POST', '/api/conversations', {});
	const page = await client.call('GET', `/c/${body.id}`);
	expect(page.status).toBe(200);
	const link = page.headers.get('link') ?? '';
	expect(link).toContain('</api/me>; rel=preload; as=fetch; crossorigin');
	expect(link).toContain(`</api/conversations/${body.id}>; rel=preload; as=fetch; crossorigin`);
	const list = await client.call('GET', '/');
	expect(list.headers.get('link')).toContain('</api/me>; rel=preload');
	expect(list.headers.get('link')).not.toContain('/api/conversations');
	const shell = await client.call('GET', '/shell');
	expect(shell.headers.get('link') ?? '').not.toContain('/api/');
	// Signed out, the page is a redirect to sign in: nothing is preloaded.
	const signedOut = await fetch(`${server.url}/c/${body.id}`, { redirect: 'manual' });
	expect(signedOut.status).toBe(303);
	expect(signedOut.headers.get('link') ?? '').not.toContain('/api/');
});

it('a large conversation comes gzipped to a client that accepts it, the same JSON either way', async () => {
	const client = await signIn(server, 'reader', 'reader-password');
	const { body } = await client.json<{ id: number }>('POST', '/api/conversations', {});
	const systemPrompt = 'Answer as a patient teacher would. '.repeat(100);
	const patched = await client.call('PATCH', `/api/conversations/${body.id}`, { systemPrompt });
	expect(patched.status).toBe(200);
	const path = `/api/conversations/${body.id}`;
	const gzipped = await client.call('GET', path, undefined, {
		headers: { 'accept-encoding': 'gzip' }
	});
	expect(gzipped.headers.get('content-encoding')).toBe('gzip');
	const plain = await client.call('GET', path, undefined, {
		headers: { 'accept-encoding': 'identity' }
	});
	expect(plain.headers.get('content-encoding')).toBeNull();
	const [a, b] = [await gzipped.json(), await plain.json()];
	expect(a).toEqual(b);
	expect((a as { systemPrompt: string }).systemPrompt).toBe(systemPrompt);
	// Small answers and errors stay as they are; another user's id is still 404.
	const other = await signIn(server, 'other', 'other-password');
	const foreign = await other.call('GET', path, undefined, {
		headers: { 'accept-encoding': 'gzip' }
	});
	expect(foreign.status).toBe(404);
	expect(foreign.headers.get('content-encoding')).toBeNull();
});
