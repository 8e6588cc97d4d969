// Form actions given a NUL character, found by the sweep of every endpoint: PostgreSQL text
// refuses NUL, so the sign-in form and the admin's remove-user form answered 500 there. Such a
// form is now unreadable (a 400 failure, as any malformed form), on both databases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../support/db';
import {
	addUser as addUserByCli,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { addUser } from '$lib/server/services/accounts';

describe.each(DIALECTS)('form actions with NUL characters (%s)', (dialect) => {
	let database: TestDatabase | undefined;
	let hearth: HearthServer;
	let admin: ApiClient;

	beforeAll(async () => {
		if (dialect === 'postgres') {
			database = await freshDatabase('postgres');
			hearth = await startHearth({ DATABASE_URL: database.url! });
			await addUser(database.db, { username: 'root', password: 'root-password', role: 'admin' });
			await addUser(database.db, { username: 'alice', password: 'alice-password', role: 'user' });
		} else {
			hearth = await startHearth();
			addUserByCli(hearth, 'root', 'root-password', true);
			addUserByCli(hearth, 'alice', 'alice-password');
		}
		admin = await signIn(hearth, 'root', 'root-password');
	}, 60_000);
	afterAll(async () => {
		await hearth?.stop();
		await database?.close();
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
