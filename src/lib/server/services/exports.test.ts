import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import type { Database } from '$lib/server/db/database';
import type { Message } from '$lib/server/db/schema';
import { insertConversation } from '$lib/server/repos/conversations';
import { insertMessage } from '$lib/server/repos/messages';
import { parseHearthExport } from '$lib/server/imports/hearth';
import type { ImportedConversation, ImportItem } from '$lib/server/imports/types';
import {
	ARCHIVE_PAGE_SIZE,
	archiveChunks,
	exportArchive,
	exportConversation,
	PDF_MAX_CHARS,
	safeFilename,
	type ExportResult
} from '$lib/server/services/exports';

const T0 = Date.UTC(2026, 10, 20, 9, 30);
const CODE_LINE = 'const answer = 42;';
const ANSWER = [
	'# Plan',
	'',
	'Some **bold** text and `inline code`.',
	'',
	'```ts',
	CODE_LINE,
	'```',
	'',
	'| Name | Count |',
	'| ---- | ----- |',
	'| apples | 3 |',
	'',
	'- first item',
	'- second item'
].join('\n');

/** The body of a successful export (fails the test otherwise). */
function bodyOf(result: ExportResult): Uint8Array {
	if (!result.ok) throw new Error(result.message);
	return result.body;
}

async function* each<T>(items: T[]): AsyncGenerator<T> {
	yield* items;
}

async function collect(items: AsyncIterable<ImportItem>): Promise<ImportItem[]> {
	const out: ImportItem[] = [];
	for await (const item of items) out.push(item);
	return out;
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
	const chunks: Uint8Array[] = [];
	for await (const chunk of stream) chunks.push(chunk);
	return Buffer.concat(chunks);
}

type NewMessage = Omit<Message, 'id' | 'conversation_id' | 'user_id' | 'parent_id'>;
const message = (over: Partial<NewMessage>): NewMessage => ({
	role: 'user',
	content: '',
	reasoning: null,
	status: 'done',
	provider: null,
	model: null,
	prompt_tokens: null,
	completion_tokens: null,
	cost_micro_usd: null,
	timings: null,
	error: null,
	client_id: null,
	finish_reason: null,
	context_tokens: null,
	context_window: null,
	context_omitted: null,
	created_at: T0,
	updated_at: T0,
	...over
});

/**
 * A conversation with a fork: a question, two replies to it (the second one newest), and a
 * follow-up under the first reply. Returns the ids in insertion order.
 */
async function seedForkedConversation(db: Database, userId: number, title: string) {
	const conv = await insertConversation(db, {
		user_id: userId,
		title,
		model: 'llama/default',
		system_prompt: 'Be brief.',
		settings: JSON.stringify({ temperature: 0.5, reasoning: 'low' }),
		now: T0
	});
	const add = async (parent: number | null, m: Partial<NewMessage>) =>
		(
			await insertMessage(db, {
				...message(m),
				conversation_id: conv.id,
				user_id: userId,
				parent_id: parent
			})
		).id;
	const question = await add(null, { content: 'How do I count apples?' });
	const first = await add(question, {
		role: 'assistant',
		content: ANSWER,
		reasoning: 'Think about fruit.',
		provider: 'llama',
		model: 'default',
		prompt_tokens: 12,
		completion_tokens: 34,
		created_at: T0 + 1000
	});
	const followUp = await add(first, { content: 'And pears?', created_at: T0 + 2000 });
	const second = await add(question, {
		role: 'assistant',
		content: 'A shorter second answer.',
		provider: 'openai',
		model: 'gpt-4o-mini',
		status: 'cancelled',
		created_at: T0 + 3000
	});
	return { conversationId: conv.id, question, first, followUp, second };
}

describe.each(DIALECTS)('exports on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let otherId: number;
	let ids: Awaited<ReturnType<typeof seedForkedConversation>>;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId, otherId] = (await insertUsers(t.db, 'owner', 'other')) as [number, number];
		ids = await seedForkedConversation(t.db, userId, 'Fruit / plans: "apples"');
	});
	afterAll(() => t.close());

	it('a Hearth JSON export re-imports into exactly the same tree', async () => {
		const file = await exportConversation(t.db, userId, ids.conversationId, 'json');
		const envelope = JSON.parse(new TextDecoder().decode(bodyOf(file))) as {
			format: string;
			version: number;
			conversations: unknown[];
		};
		expect(envelope).toMatchObject({ format: 'hearth', version: 1 });
		const items = await collect(parseHearthExport(each(envelope.conversations)));
		const s = String;
		const expected: ImportedConversation = {
			sourceId: s(ids.conversationId),
			title: 'Fruit / plans: "apples"',
			createdAt: T0,
			updatedAt: T0,
			model: 'llama/default',
			systemPrompt: 'Be brief.',
			settings: { temperature: 0.5, reasoning: 'low' },
			pinned: false,
			currentSourceId: s(ids.second),
			messages: [
				{
					sourceId: s(ids.question),
					parentSourceId: null,
					role: 'user',
					content: 'How do I count apples?',
					reasoning: null,
					model: null,
					createdAt: T0,
					status: 'done',
					usage: null
				},
				{
					sourceId: s(ids.first),
					parentSourceId: s(ids.question),
					role: 'assistant',
					content: ANSWER,
					reasoning: 'Think about fruit.',
					model: 'llama/default',
					createdAt: T0 + 1000,
					status: 'done',
					usage: { promptTokens: 12, completionTokens: 34 }
				},
				{
					sourceId: s(ids.followUp),
					parentSourceId: s(ids.first),
					role: 'user',
					content: 'And pears?',
					reasoning: null,
					model: null,
					createdAt: T0 + 2000,
					status: 'done',
					usage: null
				},
				{
					sourceId: s(ids.second),
					parentSourceId: s(ids.question),
					role: 'assistant',
					content: 'A shorter second answer.',
					reasoning: null,
					model: 'openai/gpt-4o-mini',
					createdAt: T0 + 3000,
					status: 'cancelled',
					usage: null
				}
			]
		};
		expect(items).toEqual([{ type: 'conversation', conversation: expected }]);
	});

	it('Markdown holds the title, dates and the branch shown, each turn under a role heading', async () => {
		const file = await exportConversation(t.db, userId, ids.conversationId, 'md');
		const md = new TextDecoder().decode(bodyOf(file));
		expect(file).toMatchObject({ contentType: expect.stringMatching(/^text\/markdown/) });
		expect(md.startsWith('# Fruit / plans: "apples"\n')).toBe(true);
		expect(md).toContain('- Created: 2026-11-20 09:30 UTC');
		expect(md).toContain('## System prompt\n\nBe brief.');
		expect(md).toContain('## User\n');
		// Shown by default: the newest reply at the fork, not the older branch.
		expect(md).toContain('## Assistant · openai/gpt-4o-mini');
		expect(md).toContain('A shorter second answer.');
		expect(md).not.toContain('And pears?');
		const older = await exportConversation(t.db, userId, ids.conversationId, 'md', ids.followUp);
		const olderMd = new TextDecoder().decode(bodyOf(older));
		expect(olderMd).toContain('## Assistant · llama/default');
		expect(olderMd).toContain('```ts\nconst answer = 42;\n```');
		expect(olderMd).toContain('And pears?');
		expect(olderMd).not.toContain('A shorter second answer.');
	});

	it('the PDF is real text: title, headings, table cells and code in Courier', async () => {
		const file = await exportConversation(t.db, userId, ids.conversationId, 'pdf', ids.followUp);
		expect(Buffer.from(bodyOf(file)).subarray(0, 5).toString()).toBe('%PDF-');
		const dir = mkdtempSync(join(tmpdir(), 'hearth-pdf-'));
		try {
			const path = join(dir, 'c.pdf');
			writeFileSync(path, bodyOf(file));
			const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
			expect(text).toContain('Fruit / plans: "apples"');
			expect(text).toContain('Created 2026-11-20 09:30 UTC');
			expect(text).toContain('Assistant · llama/default');
			expect(text).toContain('Plan');
			expect(text).toContain(CODE_LINE);
			expect(text).toMatch(/apples\s+3/);
			expect(text).toContain('And pears?');
			const fonts = execFileSync('pdffonts', [path], { encoding: 'utf8' });
			expect(fonts).toContain('Courier');
			expect(fonts).toContain('Helvetica-Bold');
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('a conversation too long for a PDF is refused with a clear message', async () => {
		const conv = await insertConversation(t.db, {
			user_id: userId,
			title: 'Huge',
			model: null,
			system_prompt: null,
			settings: '{}',
			now: T0
		});
		await insertMessage(t.db, {
			...message({ content: 'x'.repeat(PDF_MAX_CHARS + 1) }),
			conversation_id: conv.id,
			user_id: userId,
			parent_id: null
		});
		const pdf = await exportConversation(t.db, userId, conv.id, 'pdf');
		expect(pdf).toMatchObject({
			ok: false,
			code: 'too_large',
			message: expect.stringMatching(/Markdown/)
		});
		expect((await exportConversation(t.db, userId, conv.id, 'md')).ok).toBe(true);
	});

	it("another user's conversation is not found in any format", async () => {
		for (const format of ['md', 'json', 'pdf'] as const)
			expect(await exportConversation(t.db, otherId, ids.conversationId, format)).toMatchObject({
				ok: false,
				code: 'not_found'
			});
	});

	it('the ZIP holds hearth.json of every conversation (past one page) and a Markdown file each', async () => {
		const [archiver] = (await insertUsers(t.db, 'archiver')) as [number];
		const count = ARCHIVE_PAGE_SIZE + 3;
		for (let i = 0; i < count; i++) await seedForkedConversation(t.db, archiver, `Chat ${i}`);
		const zip = await readAll(archiveChunks(t.db, archiver, T0));
		const entries = unzipSync(new Uint8Array(zip));
		const names = Object.keys(entries);
		expect(names[0]).toBe('hearth.json');
		expect(names.filter((n) => /^conversations\/\d+-Chat-\d+\.md$/.test(n))).toHaveLength(count);
		const envelope = JSON.parse(strFromU8(entries['hearth.json']!)) as {
			exportedAt: number;
			conversations: unknown[];
		};
		expect(envelope.exportedAt).toBe(T0);
		const items = await collect(parseHearthExport(each(envelope.conversations)));
		expect(items.every((i) => i.type === 'conversation')).toBe(true);
		expect(items.map((i) => i.type === 'conversation' && i.conversation.title)).toEqual(
			Array.from({ length: count }, (_, i) => `Chat ${i}`)
		);
		const md = strFromU8(entries[names.find((n) => n.endsWith('-Chat-0.md'))!]!);
		expect(md).toContain('# Chat 0');
		// The owner's other conversation and the other user's data are not in it.
		expect(zip.includes('Fruit / plans')).toBe(false);
		// unzip (Info-ZIP) reads it too.
		const dir = mkdtempSync(join(tmpdir(), 'hearth-zip-'));
		try {
			writeFileSync(join(dir, 'a.zip'), zip);
			const listing = execFileSync('unzip', ['-l', join(dir, 'a.zip')], { encoding: 'utf8' });
			expect(listing).toContain('hearth.json');
			expect(listing).toContain(`${count + 1} files`);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('the ZIP streams: its first bytes leave before the conversations are all read', async () => {
		const [streamer] = (await insertUsers(t.db, 'streamer')) as [number];
		const big = 'word '.repeat(40_000);
		for (let i = 0; i < 3; i++) {
			const c = await insertConversation(t.db, {
				user_id: streamer,
				title: `Big ${i}`,
				model: null,
				system_prompt: null,
				settings: '{}',
				now: T0
			});
			await insertMessage(t.db, {
				...message({ content: `${big}${i}` }),
				conversation_id: c.id,
				user_id: streamer,
				parent_id: null
			});
		}
		const chunks = archiveChunks(t.db, streamer, T0);
		const first = await chunks.next();
		expect(first.done).toBe(false);
		// Written after the first bytes went out: still in the archive, so it was read afterwards.
		await seedForkedConversation(t.db, streamer, 'Added while streaming');
		const rest: Uint8Array[] = [first.value as Uint8Array];
		for await (const chunk of chunks) rest.push(chunk);
		const entries = unzipSync(new Uint8Array(Buffer.concat(rest)));
		expect(Object.keys(entries).some((n) => n.endsWith('-Added-while-streaming.md'))).toBe(true);
	});

	it('one archive at a time per user; the next may start once it has been read', async () => {
		const first = exportArchive(t.db, userId);
		expect(first.ok).toBe(true);
		expect(exportArchive(t.db, userId)).toMatchObject({ ok: false, code: 'busy' });
		const other = exportArchive(t.db, otherId);
		expect(other.ok).toBe(true);
		if (!first.ok || !other.ok) return;
		const entries = unzipSync(new Uint8Array(await new Response(first.body).arrayBuffer()));
		expect(Object.keys(entries)).toContain('hearth.json');
		await other.body.cancel();
		const next = exportArchive(t.db, otherId);
		expect(next.ok).toBe(true);
		if (next.ok) await next.body.cancel();
		const again = exportArchive(t.db, userId);
		expect(again.ok).toBe(true);
		if (again.ok) await again.body.cancel();
	});
});

describe('safeFilename', () => {
	it('keeps letters and digits, drops path tricks and quotes, never empty', () => {
		expect(safeFilename('Fruit / plans: "apples"', 'md')).toBe('Fruit-plans-apples.md');
		expect(safeFilename('../../etc/passwd', 'pdf')).toBe('etcpasswd.pdf');
		expect(safeFilename('日本語', 'json')).toBe('conversation.json');
		expect(safeFilename('a\r\nContent-Type: x', 'md')).toBe('a-Content-Type-x.md');
	});
});
