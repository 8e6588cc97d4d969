import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { sendMessage, type ReplyDeps } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';
import {
	createModelAlias,
	deleteModelAlias,
	findModelAlias,
	listModelAliases,
	updateModelAlias
} from '$lib/server/services/model-aliases';

const deps: ReplyDeps = { defaultModel: async () => 'llama/default', enqueued: () => {} };

describe.each(DIALECTS)('model aliases on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId] = (await insertUsers(t.db, 'u')) as [number];
	});
	afterAll(() => t.close());

	it('saves, lists, renames and removes an alias; a name is taken once', async () => {
		const created = await createModelAlias(t.db, {
			name: 'gpt-4o-mini',
			target: 'llama/qwen3-4b',
			params: { temperature: 0.2, max_tokens: 300 },
			systemPrompt: '  Be brief.  '
		});
		expect(created).toEqual({
			ok: true,
			alias: {
				id: expect.any(Number),
				name: 'gpt-4o-mini',
				target: 'llama/qwen3-4b',
				params: { temperature: 0.2, max_tokens: 300 },
				systemPrompt: 'Be brief.'
			}
		});
		if (!created.ok) return;
		expect(await createModelAlias(t.db, { name: 'gpt-4o-mini', target: 'llama/x' })).toMatchObject({
			ok: false,
			code: 'name_taken'
		});
		const other = await createModelAlias(t.db, { name: 'local', target: 'llama/x' });
		if (!other.ok) throw new Error(other.message);
		expect(
			await updateModelAlias(t.db, other.alias.id, { name: 'gpt-4o-mini', target: 'llama/x' })
		).toMatchObject({ ok: false, code: 'name_taken' });
		expect(
			await updateModelAlias(t.db, other.alias.id, { name: 'home', target: 'p2/llama-3' })
		).toMatchObject({ ok: true, alias: { name: 'home', target: 'p2/llama-3', params: {} } });
		expect((await listModelAliases(t.db)).map((a) => a.name)).toEqual(['gpt-4o-mini', 'home']);
		expect(await deleteModelAlias(t.db, other.alias.id)).toEqual({ ok: true });
		expect(await deleteModelAlias(t.db, other.alias.id)).toMatchObject({ code: 'not_found' });
		expect(await findModelAlias(t.db, 'home')).toBeNull();
	});

	it('refuses bad names, targets and parameters', async () => {
		for (const input of [
			{ name: 'a/b', target: 'llama/x' },
			{ name: '', target: 'llama/x' },
			{ name: 'ok', target: 'no-slash' },
			{ name: 'ok', target: 'alias/loop' },
			{ name: 'ok', target: 'llama/x', params: { temperature: 3 } },
			{ name: 'ok', target: 'llama/x', params: { max_tokens: 0 } }
		])
			expect(await createModelAlias(t.db, input)).toMatchObject({ ok: false, code: 'invalid' });
	});

	it('a chat reply on "alias/<name>" runs on the target with the alias defaults and prompt', async () => {
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
});
