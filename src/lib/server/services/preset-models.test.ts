// Shared presets as model names (what were the admin's model aliases): the assertions the alias
// service had, now through the preset path — saved, renamed and removed by the admin, a name
// taken once, bad names/models/parameters refused, and a chat on "alias/<name>" running on the
// preset's model with its defaults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { sendMessage, type ReplyDeps } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';
import { findPresetModel, listPresetModels } from '$lib/server/services/preset-models';
import { createPreset, deletePreset, updatePreset } from '$lib/server/services/prompts';

const deps: ReplyDeps = { defaultModel: async () => 'llama/default', enqueued: () => {} };

describe.each(DIALECTS)('shared presets as model names on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let admin: { id: number; role: 'admin' };
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		const [u, a] = (await insertUsers(t.db, 'u', 'root')) as [number, number];
		userId = u;
		admin = { id: a, role: 'admin' };
	});
	afterAll(() => t.close());

	it('saves, lists, renames and removes a shared preset; a name is taken once', async () => {
		const created = await createPreset(t.db, admin, {
			name: 'gpt-4o-mini',
			model: 'llama/qwen3-4b',
			temperature: 0.2,
			params: { max_tokens: 300 },
			systemPrompt: '  Be brief.  ',
			shared: true
		});
		expect(created).toMatchObject({
			ok: true,
			value: {
				id: expect.any(Number),
				name: 'gpt-4o-mini',
				model: 'llama/qwen3-4b',
				temperature: 0.2,
				params: { max_tokens: 300 },
				systemPrompt: 'Be brief.',
				shared: true
			}
		});
		expect(await findPresetModel(t.db, 'gpt-4o-mini')).toEqual({
			name: 'gpt-4o-mini',
			model: 'llama/qwen3-4b',
			temperature: 0.2,
			reasoning: null,
			params: { max_tokens: 300 },
			systemPrompt: 'Be brief.'
		});
		expect(
			await createPreset(t.db, admin, { name: 'gpt-4o-mini', model: 'llama/x', shared: true })
		).toMatchObject({ ok: false, code: 'conflict' });
		const other = await createPreset(t.db, admin, {
			name: 'local',
			model: 'llama/x',
			shared: true
		});
		if (!other.ok) throw new Error(other.message);
		expect(await updatePreset(t.db, admin, other.value.id, { name: 'gpt-4o-mini' })).toMatchObject({
			ok: false,
			code: 'conflict'
		});
		expect(
			await updatePreset(t.db, admin, other.value.id, { name: 'home', model: 'p2/llama-3' })
		).toMatchObject({ ok: true, value: { name: 'home', model: 'p2/llama-3', params: {} } });
		// A user's own preset is not a model name for everyone.
		await createPreset(t.db, { id: userId, role: 'user' }, { name: 'mine', model: 'llama/x' });
		expect((await listPresetModels(t.db)).map((a) => a.name)).toEqual(['gpt-4o-mini', 'home']);
		expect(await deletePreset(t.db, admin, other.value.id)).toEqual({ ok: true });
		expect(await deletePreset(t.db, admin, other.value.id)).toMatchObject({ code: 'not_found' });
		expect(await findPresetModel(t.db, 'home')).toBeNull();
		expect(await findPresetModel(t.db, 'mine')).toBeNull();
	});

	it('refuses bad names, models and parameters', async () => {
		for (const input of [
			{ name: 'a/b', model: 'llama/x' },
			{ name: '', model: 'llama/x' },
			{ name: 'ok', model: 'no-slash' },
			{ name: 'ok', model: 'alias/loop' },
			{ name: 'ok', model: 'llama/x', temperature: 3 },
			{ name: 'ok', model: 'llama/x', params: { max_tokens: 0 } },
			{ name: 'ok', model: 'llama/x', params: { max_tokens: 1.5 } },
			{ name: 'ok', model: 'llama/x', params: { top_p: 2 } }
		])
			expect(await createPreset(t.db, admin, { ...input, shared: true })).toMatchObject({
				ok: false,
				code: 'invalid'
			});
		expect((await listPresetModels(t.db)).map((a) => a.name)).toEqual(['gpt-4o-mini']);
	});

	it('a chat reply on "alias/<name>" runs on the preset model with its defaults and prompt', async () => {
		const conv = await createConversation(t.db, userId, {});
		const sent = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: 'hello', model: 'alias/gpt-4o-mini' },
			deps
		);
		expect(sent).toMatchObject({ ok: true, job: { model: 'llama/qwen3-4b' } });
		const job = await t.db.selectFrom('job').selectAll().executeTakeFirstOrThrow();
		expect(JSON.parse(job.params)).toMatchObject({
			temperature: 0.2,
			maxTokens: 300,
			systemPrompt: 'Be brief.'
		});
		await t.db.updateTable('job').set({ state: 'done' }).execute();
		const own = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: 'again', model: 'alias/gpt-4o-mini', temperature: 1 },
			deps
		);
		expect(own.ok).toBe(true);
		const latest = await t.db
			.selectFrom('job')
			.selectAll()
			.orderBy('id', 'desc')
			.executeTakeFirstOrThrow();
		expect(JSON.parse(latest.params)).toMatchObject({ temperature: 1, maxTokens: 300 });
		expect(
			await sendMessage(t.db, userId, conv.id, { content: 'x', model: 'alias/none' }, deps)
		).toMatchObject({ ok: false, code: 'invalid' });
	});

	it('a shared preset without a model stands for the home model, with its reasoning', async () => {
		const home = await createPreset(t.db, admin, {
			name: 'thinker',
			reasoning: 'high',
			shared: true
		});
		expect(home.ok).toBe(true);
		await t.db.updateTable('job').set({ state: 'done' }).execute();
		const conv = await createConversation(t.db, userId, {});
		const sent = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: 'think', model: 'alias/thinker' },
			deps
		);
		expect(sent).toMatchObject({ ok: true, job: { model: 'llama/default' } });
		const latest = await t.db
			.selectFrom('job')
			.selectAll()
			.orderBy('id', 'desc')
			.executeTakeFirstOrThrow();
		expect(JSON.parse(latest.params)).toMatchObject({ reasoning: 'high' });
	});
});
