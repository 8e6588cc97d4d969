// The migration that makes model aliases shared presets, on both dialects: stepped back to the
// model_alias table, filled as an installation had it, then forward again.
import type { Generated, Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { MIGRATIONS } from '$lib/server/db/migrator';
import type { PresetTable } from '$lib/server/db/schema';

/** The two tables as they were before the migration. */
interface BeforeDb {
	preset: Omit<PresetTable, 'params'>;
	model_alias: {
		id: Generated<number>;
		name: string;
		provider: string;
		model: string;
		params: string;
		system_prompt: string | null;
		created_at: number;
		updated_at: number;
	};
}

const MIGRATION = MIGRATIONS['2026-11-30T16-aliases-into-presets']!;

describe.each(DIALECTS)('model aliases into shared presets on %s', (dialect) => {
	let t: TestDatabase;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
	});
	afterAll(() => t.close());

	it('moves every alias into a shared preset; a clashing shared preset is renamed', async () => {
		const [userId] = (await insertUsers(t.db, 'owner')) as [number];
		await MIGRATION.down!(t.db);
		// Before the migration there is no params column and a model_alias table.
		const old = t.db as unknown as Kysely<BeforeDb>;
		const preset = (name: string, user: number | null) => ({
			user_id: user,
			name,
			model: 'llama/other',
			temperature: null,
			reasoning: null,
			system_prompt: null,
			is_default: 0,
			created_at: 1,
			updated_at: 1
		});
		await old
			.insertInto('preset')
			.values([
				preset('gpt-4o-mini', null),
				preset('gpt-4o-mini (preset)', null),
				preset('gpt-4o-mini', userId)
			])
			.execute();
		const alias = (name: string, model: string, params: string, system: string | null) => ({
			name,
			provider: 'llama',
			model,
			params,
			system_prompt: system,
			created_at: 5,
			updated_at: 6
		});
		await old
			.insertInto('model_alias')
			.values([
				alias(
					'gpt-4o-mini',
					'qwen3-4b',
					JSON.stringify({ temperature: 0.2, max_tokens: 300, top_p: 0.9 }),
					'Be brief.'
				),
				alias('local', 'org/model:q4', '{}', null),
				alias('broken', 'x', 'not json', null)
			])
			.execute();

		await MIGRATION.up(t.db);

		const rows = await t.db
			.selectFrom('preset')
			.select([
				'user_id',
				'name',
				'model',
				'temperature',
				'reasoning',
				'system_prompt',
				'params',
				'created_at'
			])
			.orderBy('name')
			.orderBy('user_id')
			.execute();
		const shared = rows.filter((r) => r.user_id === null);
		expect(
			shared.map((r) => ({
				...r,
				temperature: r.temperature === null ? null : Number(r.temperature),
				created_at: Number(r.created_at)
			}))
		).toEqual([
			{
				user_id: null,
				name: 'broken',
				model: 'llama/x',
				temperature: null,
				reasoning: null,
				system_prompt: null,
				params: '{}',
				created_at: 5
			},
			{
				user_id: null,
				name: 'gpt-4o-mini',
				model: 'llama/qwen3-4b',
				temperature: 0.2,
				reasoning: null,
				system_prompt: 'Be brief.',
				params: JSON.stringify({ max_tokens: 300, top_p: 0.9 }),
				created_at: 5
			},
			// The shared preset that had the alias's name, renamed past the one already taken.
			expect.objectContaining({ name: 'gpt-4o-mini (preset 2)', model: 'llama/other' }),
			expect.objectContaining({ name: 'gpt-4o-mini (preset)', model: 'llama/other' }),
			expect.objectContaining({ name: 'local', model: 'llama/org/model:q4', params: '{}' })
		]);
		// A user's own preset of that name is nobody's clash.
		expect(rows.filter((r) => r.user_id === userId).map((r) => r.name)).toEqual(['gpt-4o-mini']);
		// The old table is gone.
		await expect(old.selectFrom('model_alias').selectAll().execute()).rejects.toThrow();
	});

	it('steps back to aliases and forward again without losing or doubling one', async () => {
		const before = await t.db
			.selectFrom('preset')
			.select(['name', 'model', 'params'])
			.orderBy('name')
			.orderBy('model')
			.execute();
		await MIGRATION.down!(t.db);
		const old = t.db as unknown as Kysely<BeforeDb>;
		const back = await old
			.selectFrom('model_alias')
			.selectAll()
			.where('name', '=', 'gpt-4o-mini')
			.executeTakeFirstOrThrow();
		expect(back).toMatchObject({
			provider: 'llama',
			model: 'qwen3-4b',
			system_prompt: 'Be brief.'
		});
		expect(JSON.parse(back.params)).toEqual({ temperature: 0.2, max_tokens: 300, top_p: 0.9 });
		await MIGRATION.up(t.db);
		const after = await t.db
			.selectFrom('preset')
			.select(['name', 'model', 'params'])
			.orderBy('name')
			.orderBy('model')
			.execute();
		expect(after).toEqual(before);
	});
});
