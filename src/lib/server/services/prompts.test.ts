import { Readable } from 'node:stream';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { readDocumentItems } from '$lib/server/imports/formats';
import type { ImportItem } from '$lib/server/imports/types';
import { archiveChunks } from '$lib/server/services/exports';
import {
	builtInDefaultPreset,
	importLibrary,
	createPreset,
	createPrompt,
	deletePreset,
	deletePrompt,
	listPresets,
	listPrompts,
	updatePreset,
	updatePrompt
} from '$lib/server/services/prompts';
import { MAX_PROMPT_TEXT_CHARS } from '$lib/shared/prompt-template';

describe.each(DIALECTS)('saved prompts and presets on %s', (dialect) => {
	let t: TestDatabase;
	let ann: { id: number; role: 'user' };
	let ben: { id: number; role: 'user' };
	let admin: { id: number; role: 'admin' };
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		const [a, b, c] = await insertUsers(t.db, 'ann', 'ben', 'root');
		ann = { id: a!, role: 'user' };
		ben = { id: b!, role: 'user' };
		admin = { id: c!, role: 'admin' };
	});
	afterAll(() => t.close());

	it('keeps each user their own prompts; another user’s id is not found', async () => {
		const made = await createPrompt(t.db, ann, {
			command: 'tldr',
			title: 'Summary',
			text: 'Summarize {{text}} in {{n|3}} bullets'
		});
		if (!made.ok) throw new Error(made.message);
		expect(made.value).toMatchObject({ command: 'tldr', shared: false, editable: true });
		expect((await listPrompts(t.db, ben)).map((p) => p.command)).toEqual([]);
		expect(await updatePrompt(t.db, ben, made.value.id, { title: 'Mine' })).toMatchObject({
			code: 'not_found'
		});
		expect(await deletePrompt(t.db, ben, made.value.id)).toMatchObject({ code: 'not_found' });
		// Ben may use the same command for his own.
		expect((await createPrompt(t.db, ben, { command: 'tldr', title: 'B', text: 'b' })).ok).toBe(
			true
		);
		const renamed = await updatePrompt(t.db, ann, made.value.id, { title: '  Short summary ' });
		expect(renamed).toMatchObject({ ok: true, value: { title: 'Short summary' } });
		expect(await deletePrompt(t.db, ann, made.value.id)).toEqual({ ok: true });
		expect(await listPrompts(t.db, ann)).toEqual([]);
	});

	it('refuses duplicates, built-in names, bad shapes and oversize text, storing nothing', async () => {
		expect(
			(await createPrompt(t.db, ann, { command: 'fix', title: 'Fix', text: 'Fix {{x}}' })).ok
		).toBe(true);
		expect(
			await createPrompt(t.db, ann, { command: 'fix', title: 'Again', text: 'x' })
		).toMatchObject({ code: 'conflict' });
		expect(
			await createPrompt(t.db, ann, { command: 'model', title: 'M', text: 'x' })
		).toMatchObject({
			code: 'invalid',
			message: expect.stringMatching(/built-in/)
		});
		expect(
			await createPrompt(t.db, ann, { command: 'Bad Name', title: 'M', text: 'x' })
		).toMatchObject({ code: 'invalid' });
		expect(
			await createPrompt(t.db, ann, {
				command: 'big',
				title: 'Big',
				text: 'x'.repeat(MAX_PROMPT_TEXT_CHARS + 1)
			})
		).toMatchObject({ code: 'invalid' });
		expect(
			await createPrompt(t.db, ann, { command: 'empty', title: ' ', text: 'x' })
		).toMatchObject({
			code: 'invalid'
		});
		const other = await createPrompt(t.db, ann, { command: 'other', title: 'O', text: 'o' });
		if (!other.ok) throw new Error(other.message);
		expect(await updatePrompt(t.db, ann, other.value.id, { command: 'fix' })).toMatchObject({
			code: 'conflict'
		});
		expect(await updatePrompt(t.db, ann, other.value.id, { command: 'help' })).toMatchObject({
			code: 'invalid'
		});
		expect((await listPrompts(t.db, ann)).map((p) => p.command)).toEqual(['fix', 'other']);
		// Two saves of one name at once: one is stored, the other is a conflict, never an error.
		const raced = await Promise.all(
			[1, 2].map((n) => createPrompt(t.db, ann, { command: 'race', title: `R${n}`, text: 'r' }))
		);
		expect(raced.map((r) => (r.ok ? 'ok' : r.code)).sort()).toEqual(['conflict', 'ok']);
		const race = (await listPrompts(t.db, ann)).find((p) => p.command === 'race')!;
		expect(await deletePrompt(t.db, ann, race.id)).toEqual({ ok: true });
	});

	it('shows shared prompts to everyone and lets only the admin change them', async () => {
		expect(
			await createPrompt(t.db, ann, { command: 'pub', title: 'P', text: 'p', shared: true })
		).toMatchObject({ code: 'forbidden' });
		const shared = await createPrompt(t.db, admin, {
			command: 'email',
			title: 'Polite email',
			text: 'Write a polite email to {{to}}',
			shared: true
		});
		if (!shared.ok) throw new Error(shared.message);
		expect(shared.value).toMatchObject({ shared: true, editable: true });
		const seen = (await listPrompts(t.db, ben)).find((p) => p.command === 'email');
		expect(seen).toMatchObject({ shared: true, editable: false });
		expect(await updatePrompt(t.db, ben, shared.value.id, { text: 'x' })).toMatchObject({
			code: 'forbidden'
		});
		expect(await deletePrompt(t.db, ben, shared.value.id)).toMatchObject({ code: 'forbidden' });
		expect(
			await createPrompt(t.db, admin, { command: 'email', title: 'Dup', text: 'x', shared: true })
		).toMatchObject({ code: 'conflict' });
		const edited = await updatePrompt(t.db, admin, shared.value.id, { title: 'Email' });
		expect(edited).toMatchObject({ ok: true, value: { title: 'Email' } });
		// A user's own prompt of the same command hides the shared one for them.
		expect((await createPrompt(t.db, ben, { command: 'email', title: 'Mine', text: 'm' })).ok).toBe(
			true
		);
		expect((await listPrompts(t.db, ben)).filter((p) => p.command === 'email')).toMatchObject([
			{ title: 'Mine', shared: false }
		]);
	});

	it('keeps presets per user with one default, falling back to the shared and built-in ones', async () => {
		const openai = [{ id: 'openai', kind: 'openai' }];
		const none = await listPresets(t.db, ann, openai);
		expect(none.defaultPreset).toMatchObject({
			id: 0,
			model: 'openai/gpt-5.1',
			reasoning: 'low'
		});
		expect(builtInDefaultPreset([{ id: 'llama', kind: 'llama' }])).toMatchObject({
			model: null,
			reasoning: null
		});
		const site = await createPreset(t.db, admin, {
			name: 'House',
			model: 'llama/default',
			isDefault: true,
			shared: true
		});
		if (!site.ok) throw new Error(site.message);
		expect((await listPresets(t.db, ann, openai)).defaultPreset.name).toBe('House');
		const writing = await createPreset(t.db, ann, {
			name: 'Writing',
			model: 'openai/gpt-4o',
			temperature: 0.7,
			reasoning: 'high',
			systemPrompt: 'You are an editor.',
			isDefault: true
		});
		if (!writing.ok) throw new Error(writing.message);
		expect(writing.value).toMatchObject({ temperature: 0.7, isDefault: true });
		const code = await createPreset(t.db, ann, { name: 'Code', temperature: 0, isDefault: true });
		if (!code.ok) throw new Error(code.message);
		const list = await listPresets(t.db, ann, openai);
		expect(list.defaultPreset.name).toBe('Code');
		expect(list.presets.map((p) => [p.name, p.isDefault])).toEqual([
			['Code', true],
			['House', true],
			['Writing', false]
		]);
		expect((await listPresets(t.db, ben, openai)).defaultPreset.name).toBe('House');
		expect(await createPreset(t.db, ann, { name: 'Writing' })).toMatchObject({ code: 'conflict' });
		expect(await updatePreset(t.db, ben, writing.value.id, { name: 'B' })).toMatchObject({
			code: 'not_found'
		});
		expect(await updatePreset(t.db, ann, site.value.id, { name: 'B' })).toMatchObject({
			code: 'forbidden'
		});
		expect(
			await createPreset(t.db, ann, { name: 'Huge', systemPrompt: 'x'.repeat(20_001) })
		).toMatchObject({ code: 'invalid' });
		expect(await updatePreset(t.db, ann, writing.value.id, { temperature: null })).toMatchObject({
			ok: true,
			value: { temperature: null, model: 'openai/gpt-4o' }
		});
		expect(await deletePreset(t.db, ben, code.value.id)).toMatchObject({ code: 'not_found' });
		expect(await deletePreset(t.db, ann, code.value.id)).toEqual({ ok: true });
	});

	it('travels in the account archive and imports as the importer’s own, once', async () => {
		const [cat, dan] = await insertUsers(t.db, 'cat', 'dan');
		const catActor = { id: cat!, role: 'user' as const };
		const danActor = { id: dan!, role: 'user' as const };
		await createPrompt(t.db, catActor, { command: 'poem', title: 'Poem', text: 'A poem on {{x}}' });
		await createPreset(t.db, catActor, {
			name: 'Careful',
			model: 'llama/default',
			temperature: 0.2,
			reasoning: 'medium',
			systemPrompt: 'Check twice.'
		});
		const chunks: Uint8Array[] = [];
		for await (const chunk of archiveChunks(t.db, cat!, 1)) chunks.push(chunk);
		const json = strFromU8(unzipSync(new Uint8Array(Buffer.concat(chunks)))['hearth.json']!);
		const envelope = JSON.parse(json) as { prompts: unknown[]; presets: unknown[] };
		// Cat's own and the shared ones she sees.
		expect(envelope.prompts).toContainEqual({
			command: 'poem',
			title: 'Poem',
			text: 'A poem on {{x}}'
		});
		expect(envelope.presets).toContainEqual({
			name: 'Careful',
			model: 'llama/default',
			temperature: 0.2,
			reasoning: 'medium',
			systemPrompt: 'Check twice.'
		});
		// Read back by the streaming importer, with one entry spoiled.
		const spoiled = JSON.stringify({ ...envelope, presets: [...envelope.presets, { name: 3 }] });
		const items: ImportItem[] = [];
		for await (const item of readDocumentItems(Readable.from([spoiled]), () => {}))
			items.push(item);
		expect(items.filter((i) => i.type === 'problem')).toHaveLength(1);
		const library = items.find((i) => i.type === 'library');
		if (library?.type !== 'library') throw new Error('no library item');
		const first = await importLibrary(t.db, dan!, library.library);
		expect(first.refused).toEqual([]);
		expect(first.added).toBe(library.library.prompts.length + library.library.presets.length);
		const danPrompts = await listPrompts(t.db, danActor);
		expect(danPrompts.find((p) => p.command === 'poem')).toMatchObject({ shared: false });
		const danPresets = await listPresets(t.db, danActor, []);
		expect(danPresets.presets.find((p) => p.name === 'Careful')).toMatchObject({
			temperature: 0.2,
			reasoning: 'medium',
			shared: false,
			isDefault: false
		});
		const again = await importLibrary(t.db, dan!, library.library);
		expect(again).toMatchObject({ added: 0, skipped: first.added });
	});
});
