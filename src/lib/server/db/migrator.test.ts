import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import { MIGRATIONS, migrateToLatest } from '$lib/server/db/migrator';
import { dialectOf } from '$lib/server/db/database';

describe.each(DIALECTS)('schema on %s', (dialect) => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
	});
	afterAll(() => t.close());

	it('takes a provider kind the code adds without a rebuild, and relaxing the check kept every link', async () => {
		const now = Date.now();
		const relax = MIGRATIONS['2026-11-29T10-provider-kind-unchecked']!;
		// Later migrations that change the provider table step back first, and forward after.
		const later = [MIGRATIONS['2026-11-30T06-context-window']!];
		for (const m of [...later].reverse()) await m.down!(t.db);
		// As before the migration: a provider a conversation points to.
		await relax.down!(t.db);
		const [userId] = await t.db
			.insertInto('user')
			.values({
				username: 'kinds',
				password_hash: 'x',
				role: 'user',
				created_at: now,
				updated_at: now
			})
			.returning('id')
			.execute()
			.then((rows) => rows.map((r) => r.id));
		const provider = await t.db
			.insertInto('provider')
			.values({
				kind: 'openai',
				name: 'Cloud',
				base_url: 'https://x',
				created_at: now,
				updated_at: now
			})
			.returning('id')
			.executeTakeFirstOrThrow();
		const conv = await t.db
			.insertInto('conversation')
			.values({ user_id: userId!, provider_id: provider.id, created_at: now, updated_at: now })
			.returning('id')
			.executeTakeFirstOrThrow();
		await relax.up(t.db);
		for (const m of later) await m.up(t.db);
		const kept = await t.db
			.selectFrom('conversation')
			.select('provider_id')
			.where('id', '=', conv.id)
			.executeTakeFirstOrThrow();
		expect(kept.provider_id).toBe(provider.id);
		await t.db
			.insertInto('provider')
			.values({
				kind: 'some_new_kind' as never,
				name: 'New',
				base_url: 'https://y',
				created_at: now,
				updated_at: now
			})
			.execute();
		// The foreign key still holds after the rebuild: deleting the provider unlinks conversations.
		await t.db.deleteFrom('provider').where('id', '=', provider.id).execute();
		const unlinked = await t.db
			.selectFrom('conversation')
			.select('provider_id')
			.where('id', '=', conv.id)
			.executeTakeFirstOrThrow();
		expect(unlinked.provider_id).toBeNull();
		await t.db.deleteFrom('provider').execute();
		await t.db.deleteFrom('user').where('id', '=', userId!).execute();
	});

	it('is idempotent: a second run applies nothing', async () => {
		expect(await migrateToLatest(t.db)).toEqual({ ok: true, applied: [] });
		expect(dialectOf(t.db)).toBe(dialect);
	});

	it('keeps full-text search in step with messages, and cascades deletes', async () => {
		const now = Date.now();
		const user = await t.db
			.insertInto('user')
			.values({ username: 'u', password_hash: 'x', role: 'user', created_at: now, updated_at: now })
			.returning('id')
			.executeTakeFirstOrThrow();
		const conv = await t.db
			.insertInto('conversation')
			.values({ user_id: user.id, created_at: now, updated_at: now })
			.returning('id')
			.executeTakeFirstOrThrow();
		const msg = await t.db
			.insertInto('message')
			.values({
				conversation_id: conv.id,
				user_id: user.id,
				role: 'user',
				content: 'sourdough starter hydration',
				status: 'done',
				created_at: now,
				updated_at: now
			})
			.returning('id')
			.executeTakeFirstOrThrow();

		const search = async (term: string) => {
			const query =
				dialect === 'postgres'
					? sql<{
							id: number;
						}>`select id from message where search @@ plainto_tsquery('simple', ${term})`
					: sql<{
							id: number;
						}>`select rowid as id from message_fts where message_fts match ${term}`;
			return (await query.execute(t.db)).rows.map((r) => Number(r.id));
		};
		expect(await search('hydration')).toEqual([msg.id]);
		await t.db
			.updateTable('message')
			.set({ content: 'rye crumb' })
			.where('id', '=', msg.id)
			.execute();
		expect(await search('hydration')).toEqual([]);
		expect(await search('crumb')).toEqual([msg.id]);
		await t.db.deleteFrom('user').where('id', '=', user.id).execute();
		expect(await search('crumb')).toEqual([]);
		expect(await t.db.selectFrom('conversation').selectAll().execute()).toEqual([]);
	});

	it('enforces the allowed states', async () => {
		await expect(
			t.db
				.insertInto('user')
				.values({
					username: 'v',
					password_hash: 'x',
					role: 'root' as 'admin',
					created_at: 0,
					updated_at: 0
				})
				.execute()
		).rejects.toThrow();
	});
});
