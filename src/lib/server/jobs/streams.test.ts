import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import { createSession } from '$lib/server/auth/session';
import { MAX_STREAMS_PER_USER, StreamRegistry } from '$lib/server/jobs/streams';
import { deleteSession } from '$lib/server/repos/sessions';

describe.each(DIALECTS)('open stream registry on %s', (dialect) => {
	let t: TestDatabase;
	let registry: StreamRegistry;
	const users: number[] = [];

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		for (const username of ['ann', 'ben']) {
			const row = await t.db
				.insertInto('user')
				.values({ username, password_hash: 'x', role: 'user', created_at: 0, updated_at: 0 })
				.returning('id')
				.executeTakeFirstOrThrow();
			users.push(row.id);
		}
		registry = new StreamRegistry({ db: t.db, checkIntervalMs: 60_000 });
	});
	afterAll(async () => {
		registry.stop();
		await t.close();
	});

	it(`holds at most ${MAX_STREAMS_PER_USER} streams per user and gives a place back when one ends`, () => {
		const [ann, ben] = users as [number, number];
		const slots = Array.from({ length: MAX_STREAMS_PER_USER }, () => registry.open(ann, null));
		expect(slots.every((s) => s.ok)).toBe(true);
		expect(registry.open(ann, null)).toEqual({ ok: false, retryAfterSeconds: expect.any(Number) });
		// Another user is not affected.
		const other = registry.open(ben, null);
		expect(other.ok).toBe(true);

		const first = slots[0]!;
		if (!first.ok) throw new Error('unreachable');
		first.options.onEnd();
		first.options.onEnd(); // twice is once
		expect(registry.count(ann)).toBe(MAX_STREAMS_PER_USER - 1);
		const again = registry.open(ann, null);
		expect(again.ok).toBe(true);
		expect(registry.open(ann, null).ok).toBe(false);
		for (const s of [...slots, again, other]) if (s.ok) s.options.onEnd();
		expect(registry.count(ann) + registry.count(ben)).toBe(0);
	});

	it('ends the streams of a session that is signed out, revoked or expired, and no others', async () => {
		const [ann, ben] = users as [number, number];
		const now = Date.now();
		const kept = await createSession(t.db, ann, null, now);
		const revoked = await createSession(t.db, ann, null, now);
		const expiring = await createSession(t.db, ben, null, now - 60_000);
		const signedOut = await createSession(t.db, ben, null, now);
		const open = (user: number, session: string) => {
			const slot = registry.open(user, session);
			if (!slot.ok) throw new Error('refused');
			return slot.options.signal;
		};
		const keptSignal = open(ann, kept.session.id);
		const revokedSignal = open(ann, revoked.session.id);
		const expiringSignal = open(ben, expiring.session.id);
		const signedOutSignal = open(ben, signedOut.session.id);

		registry.endSession(signedOut.session.id);
		expect(signedOutSignal.aborted).toBe(true);
		expect(registry.count(ben)).toBe(1);

		// Revoked in the database by someone else (another instance, the CLI): the re-check notices.
		await deleteSession(t.db, revoked.session.id);
		await registry.checkSessions(now);
		expect([keptSignal.aborted, revokedSignal.aborted, expiringSignal.aborted]).toEqual([
			false,
			true,
			false
		]);
		await registry.checkSessions(expiring.session.expiresAt);
		expect(expiringSignal.aborted).toBe(true);
		expect(keptSignal.aborted).toBe(false);

		// A password change: every stream of the user but the new session's.
		const fresh = await createSession(t.db, ann, null, now);
		const freshSignal = open(ann, fresh.session.id);
		registry.endUser(ann, fresh.session.id);
		expect([keptSignal.aborted, freshSignal.aborted]).toEqual([true, false]);
		expect(registry.count(ann)).toBe(1);
	});
});
