import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { createSession, validateSessionToken } from '$lib/server/auth/session';
import { StreamRegistry } from '$lib/server/jobs/streams';
import { listDevices, signOutDevice, signOutOtherDevices } from '$lib/server/services/devices';

const CHROME_LINUX =
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
	'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const FIREFOX_MAC =
	'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0';

describe.each(DIALECTS)('signed-in devices on %s', (dialect) => {
	let t: TestDatabase;
	let streams: StreamRegistry;
	let alice: number;
	let bob: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[alice, bob] = (await insertUsers(t.db, 'alice', 'bob')) as [number, number];
		streams = new StreamRegistry({ db: t.db, checkIntervalMs: 60_000 });
	});
	afterAll(async () => {
		streams.stop();
		await t.close();
	});

	it('lists the two browsers, this one first and marked, without the session hash', async () => {
		const laptop = await createSession(t.db, alice, CHROME_LINUX);
		const phone = await createSession(t.db, alice, SAFARI_IPHONE);
		await createSession(t.db, bob, FIREFOX_MAC);
		const devices = await listDevices(t.db, alice, laptop.session.id);
		expect(devices).toHaveLength(2);
		expect(devices[0]).toMatchObject({ browser: 'Chrome 131', os: 'Linux', current: true });
		expect(devices[1]).toMatchObject({ browser: 'Safari 17', os: 'iOS', current: false });
		const text = JSON.stringify(devices);
		for (const secret of [laptop.token, laptop.session.id, phone.token, phone.session.id]) {
			expect(text).not.toContain(secret);
		}
	});

	it('signs out one device: its next request fails and its open stream ends', async () => {
		await t.db.deleteFrom('session').execute();
		const laptop = await createSession(t.db, alice, CHROME_LINUX);
		const phone = await createSession(t.db, alice, SAFARI_IPHONE);
		const phoneStream = streams.open(alice, phone.session.id);
		const laptopStream = streams.open(alice, laptop.session.id);
		if (!phoneStream.ok || !laptopStream.ok) throw new Error('no stream slot');
		const target = (await listDevices(t.db, alice, laptop.session.id)).find((d) => !d.current)!;
		const deps = { db: t.db, streams };
		expect(
			await signOutDevice(deps, { id: alice, username: 'alice' }, laptop.session.id, target.id)
		).toEqual({ ok: true });
		expect((await validateSessionToken(t.db, phone.token)).ok).toBe(false);
		expect((await validateSessionToken(t.db, laptop.token)).ok).toBe(true);
		expect(phoneStream.options.signal.aborted).toBe(true);
		expect(laptopStream.options.signal.aborted).toBe(false);
		laptopStream.options.onEnd();
	});

	it("cannot sign out another user's device, its own current one, or a made-up id", async () => {
		await t.db.deleteFrom('session').execute();
		const mine = await createSession(t.db, alice, CHROME_LINUX);
		const theirs = await createSession(t.db, bob, FIREFOX_MAC);
		const [theirDevice] = await listDevices(t.db, bob, theirs.session.id);
		const [myDevice] = await listDevices(t.db, alice, mine.session.id);
		const deps = { db: t.db, streams };
		expect(
			await signOutDevice(deps, { id: alice, username: 'alice' }, mine.session.id, theirDevice!.id)
		).toMatchObject({
			ok: false,
			code: 'not_found'
		});
		expect(
			await signOutDevice(deps, { id: alice, username: 'alice' }, mine.session.id, myDevice!.id)
		).toMatchObject({
			ok: false,
			code: 'current_device'
		});
		for (const bad of ['', 'x', theirs.session.id, '%'.repeat(22), 'a'.repeat(10_000)]) {
			expect(
				await signOutDevice(deps, { id: alice, username: 'alice' }, mine.session.id, bad)
			).toMatchObject({
				code: 'not_found'
			});
		}
		expect((await validateSessionToken(t.db, theirs.token)).ok).toBe(true);
		expect((await validateSessionToken(t.db, mine.token)).ok).toBe(true);
	});

	it('signs out all other devices and their streams, keeping this one', async () => {
		await t.db.deleteFrom('session').execute();
		const here = await createSession(t.db, alice, CHROME_LINUX);
		const others = [
			await createSession(t.db, alice, SAFARI_IPHONE),
			await createSession(t.db, alice, FIREFOX_MAC)
		];
		const bobs = await createSession(t.db, bob, FIREFOX_MAC);
		const otherStream = streams.open(alice, others[0]!.session.id);
		const hereStream = streams.open(alice, here.session.id);
		const bobStream = streams.open(bob, bobs.session.id);
		if (!otherStream.ok || !hereStream.ok || !bobStream.ok) throw new Error('no stream slot');
		expect(
			await signOutOtherDevices(
				{ db: t.db, streams },
				{ id: alice, username: 'alice' },
				here.session.id
			)
		).toBe(2);
		for (const other of others)
			expect((await validateSessionToken(t.db, other.token)).ok).toBe(false);
		expect((await validateSessionToken(t.db, here.token)).ok).toBe(true);
		expect((await validateSessionToken(t.db, bobs.token)).ok).toBe(true);
		expect(otherStream.options.signal.aborted).toBe(true);
		expect(hereStream.options.signal.aborted).toBe(false);
		expect(bobStream.options.signal.aborted).toBe(false);
		hereStream.options.onEnd();
		bobStream.options.onEnd();
	});
});
