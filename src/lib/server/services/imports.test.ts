import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { makeZip } from '../../../../tests/support/zip';
import {
	chatgptCyclicConversation,
	chatgptLinearConversation,
	chatgptRichConversation,
	chatgptShards,
	claudeExport,
	libreChatExport,
	llamaCppExport,
	openWebUiExport
} from '../../../../tests/support/import-fixtures';
import { ImportRunner, RESTART_PROBLEM } from '$lib/server/imports/runner';
import { importSpoolDir, type SpooledFile } from '$lib/server/imports/spool';
import { cancelImport, getImport, startImport } from '$lib/server/services/imports';
import { getConversation } from '$lib/server/services/conversations';
import { threadOf } from '$lib/client/thread';
import { syncConversations } from '$lib/server/services/sync';
import { exportConversation } from '$lib/server/services/exports';
import type { MessageDto } from '$lib/shared/dto';
import type { ImportDto } from '$lib/shared/imports';

const log = pino({ level: 'silent' });

describe.each(DIALECTS)('imports on %s', (dialect) => {
	let t: TestDatabase;
	let dataDir: string;
	let runner: ImportRunner;
	let userId: number;
	let otherId: number;

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-import-'));
		runner = new ImportRunner({
			db: t.db,
			dataDir,
			log,
			recoverAll: true,
			maxUncompressedBytes: 8 * 1024 * 1024
		});
		await runner.start();
		[userId, otherId] = (await insertUsers(t.db, 'mover', 'other')) as [number, number];
	});
	afterAll(async () => {
		await runner.stop();
		await t.close();
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	function spool(files: { name: string; data: Buffer | string }[]): SpooledFile[] {
		const dir = importSpoolDir(dataDir);
		fs.mkdirSync(dir, { recursive: true });
		return files.map((f) => {
			const file = path.join(dir, `${randomBytes(8).toString('hex')}.upload`);
			fs.writeFileSync(file, f.data, { mode: 0o600 });
			return { path: file, name: f.name, size: fs.statSync(file).size };
		});
	}

	async function runImport(
		files: { name: string; data: Buffer | string }[],
		user = userId
	): Promise<ImportDto> {
		const started = await startImport(t.db, runner, user, spool(files));
		if (!started.ok) throw new Error(started.message);
		await runner.idle();
		return (await getImport(t.db, user, started.import.id))!;
	}

	async function conversationOf(format: string, sourceId: string, user = userId) {
		const row = await t.db
			.selectFrom('import_source')
			.select('conversation_id')
			.where('user_id', '=', user)
			.where('format', '=', format)
			.where('source_id', '=', sourceId)
			.executeTakeFirst();
		return row ? (await getConversation(t.db, user, row.conversation_id))! : null;
	}

	const shown = (messages: Parameters<typeof threadOf>[0]) =>
		threadOf(messages, {}).map((e) => e.message.content);

	it('imports a ChatGPT conversations.json: whole tree, current branch shown, hidden nodes skipped', async () => {
		const result = await runImport([
			{
				name: 'conversations.json',
				data: JSON.stringify([
					chatgptRichConversation('rich-1'),
					chatgptCyclicConversation('cyc-1'),
					{ id: 'broken' }
				])
			}
		]);
		expect(result).toMatchObject({
			state: 'done',
			format: 'chatgpt',
			total: 3,
			done: 2,
			skipped: 0
		});
		expect(result.problems).toEqual([
			{ sourceId: 'broken', title: null, message: 'The conversation has no message tree (mapping)' }
		]);
		const conv = (await conversationOf('chatgpt', 'rich-1'))!;
		// Null title: derived from the first user message.
		expect(conv.title).toBe('[image: chart.png] Plot a sine wave');
		// Hidden system, context and browsing nodes are gone; all 8 visible messages kept.
		expect(conv.messages).toHaveLength(8);
		expect(conv.messages.some((m) => m.role === 'system')).toBe(false);
		const thread = shown(conv.messages);
		expect(thread).toEqual([
			'[image: chart.png]\nPlot a sine wave',
			'```python\nprint(42)\n```',
			'Output:\n```\n42\n```',
			'Here it is, see the docs  [Sine \\[docs\\]](https://example.com/sine).\n\nSources:\n- [Sine \\[docs\\]](https://example.com/sine)',
			'Make it red',
			'Red it is'
		]);
		// The other branch is there too, re-linked over the hidden browsing node.
		const a2 = conv.messages.find((m) => m.content.startsWith('Here it is'))!;
		const branches = conv.messages.filter((m) => m.parentId === a2.id).map((m) => m.content);
		expect(branches.sort()).toEqual(['Make it blue', 'Make it red']);
		// model_slug when present, else the conversation's default_model_slug.
		const model = (content: string) => conv.messages.find((m) => m.content === content)!.model;
		expect(model('Red it is')).toBe('chatgpt/gpt-4o-mini');
		expect(model('Blue it is')).toBe('chatgpt/o3');
		expect(conv.messages.find((m) => m.content.includes('javascript:'))).toBeUndefined();
		const cyc = (await conversationOf('chatgpt', 'cyc-1'))!;
		expect(cyc.messages.map((m) => m.content).sort()).toEqual(['Loop one', 'Loop two', 'Start']);
		expect(cyc.messages.filter((m) => m.parentId === null).length).toBeGreaterThanOrEqual(2);
	});

	it('an imported conversation, however old, reaches a device that synced before the import', async () => {
		const before = await syncConversations(t.db, userId, { since: 0, limit: 200, have: [] });
		await runImport([
			{ name: 'old.json', data: JSON.stringify([chatgptLinearConversation('old-1', 2)]) }
		]);
		const conv = (await conversationOf('chatgpt', 'old-1'))!;
		expect(conv.createdAt).toBeLessThan(before.cursor);
		const after = await syncConversations(t.db, userId, {
			since: before.cursor,
			limit: 200,
			have: []
		});
		expect(after.changed.map((c) => c.id)).toContain(conv.id);
	});

	it('a Hearth JSON export of an imported conversation re-imports into the same tree', async () => {
		await runImport([
			{ name: 'c.json', data: JSON.stringify([chatgptRichConversation('trip-1')]) }
		]);
		const original = (await conversationOf('chatgpt', 'trip-1'))!;
		const exported = await exportConversation(t.db, userId, original.id, 'json');
		if (!exported.ok) throw new Error(exported.message);
		const result = await runImport([{ name: 'hearth.json', data: Buffer.from(exported.body) }]);
		expect(result).toMatchObject({ state: 'done', format: 'hearth', done: 1, problems: [] });
		const copy = (await conversationOf('hearth', String(original.id)))!;
		const shape = (messages: MessageDto[]) => {
			const byId = new Map(messages.map((m) => [m.id, m]));
			return messages
				.map((m) => ({
					role: m.role,
					content: m.content,
					model: m.model,
					status: m.status,
					createdAt: m.createdAt,
					parent: m.parentId === null ? null : byId.get(m.parentId)!.content
				}))
				.sort((a, b) => a.content.localeCompare(b.content));
		};
		expect(shape(copy.messages)).toEqual(shape(original.messages));
		expect(shown(copy.messages)).toEqual(shown(original.messages));
		expect(copy).toMatchObject({ title: original.title, systemPrompt: original.systemPrompt });
	});

	it('importing the same export again adds nothing', async () => {
		const file = {
			name: 'conversations.json',
			data: JSON.stringify([chatgptLinearConversation('same-1', 4)])
		};
		const first = await runImport([file]);
		const count = async () =>
			Number(
				(
					await t.db
						.selectFrom('conversation')
						.select((eb) => eb.fn.countAll().as('n'))
						.where('user_id', '=', userId)
						.executeTakeFirstOrThrow()
				).n
			);
		const before = await count();
		const again = await runImport([file]);
		expect(first).toMatchObject({ state: 'done', done: 1 });
		expect(again).toMatchObject({ state: 'done', done: 0, skipped: 1, total: 1 });
		expect(await count()).toBe(before);
		// Another user importing the same file gets their own copy.
		expect(await runImport([file], otherId)).toMatchObject({ state: 'done', done: 1 });
	});

	it('reads a ChatGPT ZIP in the single and the 2026 sharded layout, and shards sent as JSON files', async () => {
		const all = [1, 2, 3, 4, 5].map((i) => chatgptLinearConversation(`shard-${i}`, 3));
		const single = makeZip([
			{ name: 'conversations.json', data: JSON.stringify(all.slice(0, 2)) },
			{ name: 'chat.html', data: '<html></html>' },
			{ name: 'file-abc.png', data: Buffer.alloc(100) }
		]);
		expect(await runImport([{ name: 'export.zip', data: single }])).toMatchObject({
			state: 'done',
			format: 'chatgpt',
			done: 2,
			total: 2
		});
		const shards = chatgptShards(all, 2);
		const sharded = makeZip(shards.map((s) => ({ name: `export/${s.name}`, data: s.data })));
		expect(await runImport([{ name: 'export-2026.zip', data: sharded }])).toMatchObject({
			state: 'done',
			done: 3,
			skipped: 2,
			total: 5
		});
		const json = chatgptShards(
			[6, 7, 8].map((i) => chatgptLinearConversation(`shard-${i}`, 3)),
			2
		).filter((s) => s.name.startsWith('conversations-'));
		expect(await runImport(json)).toMatchObject({ state: 'done', done: 3, total: 3 });
		expect((await conversationOf('chatgpt', 'shard-8'))!.messages).toHaveLength(3);
	});

	it('imports Claude, Open WebUI, LibreChat and llama.cpp web UI exports', async () => {
		const claude = await runImport([
			{ name: 'conversations.json', data: JSON.stringify(claudeExport()) }
		]);
		expect(claude).toMatchObject({ state: 'done', format: 'claude', done: 2 });
		const tea = (await conversationOf('claude', 'claude-1'))!;
		expect(tea.title).toBe('Tea brewing');
		expect(shown(tea.messages)).toEqual([
			'How long to steep green tea?\n\n[image: kettle.jpg]',
			'About two minutes.',
			'And oolong?',
			'Three minutes.'
		]);
		expect(tea.messages.find((m) => m.content === 'About two minutes.')!.reasoning).toBe(
			'Green tea is delicate.'
		);
		expect((await conversationOf('claude', 'claude-2'))!.title).toBe('Hello Claude');

		const owui = await runImport([
			{ name: 'chat-export.json', data: JSON.stringify(openWebUiExport()) }
		]);
		expect(owui).toMatchObject({ state: 'done', format: 'openwebui', done: 2 });
		const bread = (await conversationOf('openwebui', 'owui-1'))!;
		expect(shown(bread.messages)).toEqual([
			'How do I bake bread?',
			'Flour, water, salt, yeast.',
			'How long to knead?',
			'Ten minutes.'
		]);
		expect(bread.pinned).toBe(true);
		expect(bread.messages).toHaveLength(6);
		expect(shown((await conversationOf('openwebui', 'owui-2'))!.messages)).toEqual([
			'Old style chat',
			'Linear reply'
		]);

		for (const recursive of [false, true]) {
			await t.db.deleteFrom('import_source').where('format', '=', 'librechat').execute();
			const lc = await runImport([
				{ name: 'lc.json', data: JSON.stringify(libreChatExport(recursive)) }
			]);
			expect(lc).toMatchObject({ state: 'done', format: 'librechat', done: 1, total: 1 });
			const planets = (await conversationOf('librechat', 'lc-1'))!;
			expect(planets.messages).toHaveLength(5);
			expect(shown(planets.messages)).toEqual([
				'Name a planet',
				'Venus',
				'Tell me more',
				'It is hot.'
			]);
		}

		const llama = await runImport([
			{ name: 'conv-llama.json', data: JSON.stringify(llamaCppExport()) }
		]);
		expect(llama).toMatchObject({ state: 'done', format: 'llamacpp', done: 1 });
		const haiku = (await conversationOf('llamacpp', 'conv-llama'))!;
		expect(haiku.messages).toHaveLength(3);
		expect(shown(haiku.messages)).toEqual(['Write a haiku', 'Autumn moonlight']);
		expect(haiku.messages.find((m) => m.content === 'Autumn moonlight')).toMatchObject({
			reasoning: 'Seasons.',
			model: 'llamacpp/qwen3-0.6b'
		});
	});

	it('refuses a corrupt ZIP, JSON of the wrong shape and invalid JSON, importing nothing', async () => {
		const zip = makeZip([
			{
				name: 'conversations.json',
				data: JSON.stringify([chatgptLinearConversation('corrupt-1', 2)])
			}
		]);
		const corrupt = Buffer.concat([zip.subarray(0, 40), Buffer.alloc(60, 0xff), zip.subarray(100)]);
		const a = await runImport([{ name: 'broken.zip', data: corrupt }]);
		expect(a.state).toBe('failed');
		expect(a.problems![0]!.message).toMatch(
			/ZIP file (cannot be read|is damaged)|cannot be unpacked/
		);
		expect(await conversationOf('chatgpt', 'corrupt-1')).toBeNull();

		const b = await runImport([{ name: 'numbers.json', data: '[1, 2, 3]' }]);
		expect(b).toMatchObject({ state: 'failed', done: 0 });
		expect(b.problems![0]!.message).toMatch(/not conversations/);
		const c = await runImport([{ name: 'settings.json', data: '{"theme": "dark"}' }]);
		expect(c.problems![0]!.message).toMatch(/not an export Hearth can read/);
		const cut = JSON.stringify([
			chatgptLinearConversation('cut-1', 2),
			chatgptLinearConversation('cut-2', 2)
		]);
		const d = await runImport([
			{ name: 'conversations.json', data: cut.slice(0, cut.length - 40) }
		]);
		expect(d).toMatchObject({ state: 'failed', done: 0 });
		expect(d.problems![0]!.message).toMatch(/not valid JSON/);
		expect(await conversationOf('chatgpt', 'cut-1')).toBeNull();
		const e = await runImport([
			{ name: 'photo.png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) }
		]);
		expect(e.problems![0]!.message).toMatch(/neither a ZIP nor a JSON/);
	});

	it('refuses ZIP bombs, honest or lying about their size, without unpacking them', async () => {
		const zeros = Buffer.alloc(32 * 1024 * 1024, 0x20);
		const honest = makeZip([{ name: 'conversations.json', data: zeros }]);
		expect(honest.length).toBeLessThan(100_000);
		const a = await runImport([{ name: 'bomb.zip', data: honest }]);
		expect(a.state).toBe('failed');
		expect(a.problems![0]!.message).toMatch(/unpacks to more than/);
		const lying = makeZip([
			{
				name: 'conversations.json',
				data: Buffer.concat([Buffer.from('['), zeros]),
				declaredSize: 50
			}
		]);
		const b = await runImport([{ name: 'bomb2.zip', data: lying }]);
		expect(b).toMatchObject({ state: 'failed', done: 0 });
		expect(b.problems![0]!.message).toMatch(/cannot be unpacked \(too many bytes/);
	});

	it('cancels mid-import: what was stored stays and is reported, the rest is not imported', async () => {
		const many = Array.from({ length: 400 }, (_, i) => chatgptLinearConversation(`cancel-${i}`, 2));
		const started = await startImport(
			t.db,
			runner,
			userId,
			spool([{ name: 'big.json', data: JSON.stringify(many) }])
		);
		if (!started.ok) throw new Error(started.message);
		const id = started.import.id;
		await vi.waitFor(
			async () => expect((await getImport(t.db, userId, id))!.done).toBeGreaterThan(0),
			{ timeout: 15_000, interval: 5 }
		);
		// Another user cannot cancel it (not found) ...
		expect(await cancelImport(t.db, runner, otherId, id)).toBeNull();
		expect(await getImport(t.db, otherId, id)).toBeNull();
		// ... its owner can.
		expect((await cancelImport(t.db, runner, userId, id))!.state).toBe('cancelled');
		await runner.idle();
		const end = (await getImport(t.db, userId, id))!;
		expect(end.state).toBe('cancelled');
		const stored = Number(
			(
				await t.db
					.selectFrom('import_source')
					.select((eb) => eb.fn.countAll().as('n'))
					.where('user_id', '=', userId)
					.where('source_id', 'like', 'cancel-%')
					.executeTakeFirstOrThrow()
			).n
		);
		expect(stored).toBe(end.done);
		expect(end.done).toBeLessThan(400);
		// Importing the file again finishes the job.
		const again = await runImport([{ name: 'big.json', data: JSON.stringify(many) }]);
		expect(again).toMatchObject({ state: 'done', done: 400 - end.done, skipped: end.done });
	});

	it('caps the imports one user runs at once; the refused upload is removed', async () => {
		const now = Date.now();
		const busy = await t.db
			.insertInto('import')
			.values(
				[1, 2].map(() => ({
					user_id: otherId,
					state: 'running' as const,
					created_at: now,
					updated_at: now
				}))
			)
			.returning('id')
			.execute();
		const files = spool([{ name: 'c.json', data: '[]' }]);
		const refused = await startImport(t.db, runner, otherId, files);
		expect(refused).toMatchObject({ ok: false, code: 'too_many' });
		expect(fs.existsSync(files[0]!.path)).toBe(false);
		await t.db
			.deleteFrom('import')
			.where(
				'id',
				'in',
				busy.map((b) => b.id)
			)
			.execute();
	});

	it('marks an import a stopped server left running as failed, with a clear problem', async () => {
		const now = Date.now();
		const row = await t.db
			.insertInto('import')
			.values({ user_id: userId, state: 'running', created_at: now, updated_at: now })
			.returning('id')
			.executeTakeFirstOrThrow();
		const restarted = new ImportRunner({ db: t.db, dataDir, log, recoverAll: true });
		await restarted.start();
		const found = (await getImport(t.db, userId, row.id))!;
		expect(found.state).toBe('failed');
		expect(found.problems).toEqual([{ sourceId: null, title: null, message: RESTART_PROBLEM }]);
	});
});
