// Form actions given a NUL character, found by the sweep of every endpoint: PostgreSQL text
// refuses NUL, so the sign-in form and the admin's remove-user form answered 500 there. Such a
// form is now unreadable (a 400 failure, as any malformed form), on both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db';
import { signIn, type ApiClient, type HearthServer } from '../support/hearth-server';
import { startHearthOn, type HearthOn } from '../support/hearth-on';

describe.each(DIALECTS)('form actions with NUL characters (%s)', (dialect) => {
	let server: HearthOn | undefined;
	let hearth: HearthServer;
	let admin: ApiClient;

	beforeAll(async () => {
		server = await startHearthOn(dialect, [
			{ username: 'root', password: 'root-password', admin: true },
			{ username: 'alice', password: 'alice-password' }
		]);
		hearth = server.hearth;
		admin = await signIn(hearth, 'root', 'root-password');
	}, 60_000);
	afterAll(async () => {
		await server?.stop();
	});

	/** Posts the form as the page's enhanced form does, which answers the action's result as JSON. */
	async function submit(pathname: string, fields: Record<string, string>, cookie?: string) {
		const res = await fetch(`${hearth.url}${pathname}`, {
			method: 'POST',
			headers: {
				origin: hearth.url,
				'content-type': 'application/x-www-form-urlencoded',
				'x-sveltekit-action': 'true',
				...(cookie ? { cookie } : {})
			},
			body: new URLSearchParams(fields).toString()
		});
		return { status: res.status, body: (await res.json()) as { type: string; status?: number } };
	}

	it('are refused as unreadable forms, and the people stay', async () => {
		expect(await submit('/login', { username: 'alice\0', password: 'alice-password' })).toEqual({
			status: 200,
			body: expect.objectContaining({ type: 'failure', status: 400 })
		});
		expect(await submit('/admin?/remove', { username: 'alice\0' }, admin.cookie)).toEqual({
			status: 200,
			body: expect.objectContaining({ type: 'failure' })
		});
		expect((await signIn(hearth, 'alice', 'alice-password')).cookie).toBeTruthy();
	});
});
