import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import {
	makeEncryptedPdf,
	makePdf,
	makeScannedPdf,
	TINY_PNG
} from '../../../../tests/support/attachment-fixtures';
import {
	MAX_UNSENT_UPLOAD_BYTES,
	MAX_UNSENT_UPLOADS,
	readAttachment,
	uploadAttachment,
	UNSENT_UPLOAD_TTL_MS
} from '$lib/server/services/attachments';
import { IMAGE_TOKEN_ESTIMATE } from '$lib/server/services/attachments-prompt';
import { sendMessage, type ReplyDeps } from '$lib/server/services/chat';
import {
	createConversation,
	deleteConversation,
	getConversation
} from '$lib/server/services/conversations';
import { branchConversation } from '$lib/server/services/branching';
import { promptFor } from '$lib/server/services/prompt';
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_MESSAGE } from '$lib/shared/attachments';
import { CHARS_PER_TOKEN } from '$lib/server/jobs/usage-estimate';

const deps: ReplyDeps = {
	defaultModel: async () => 'llama/default',
	enqueued: () => {},
	seesImages: async (ref) => ref.model === 'eyes'
};

describe.each(DIALECTS)('attachments on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let otherId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId, otherId] = (await insertUsers(t.db, 'u', 'o')) as [number, number];
	});
	afterAll(() => t.close());

	const count = async () =>
		Number(
			(
				await t.db
					.selectFrom('attachment')
					.select((e) => e.fn.countAll().as('n'))
					.executeTakeFirstOrThrow()
			).n
		);
	const finishAll = () => t.db.updateTable('job').set({ state: 'done' }).execute();

	it('stores an upload typed from its bytes, with its text and a token estimate', async () => {
		const text = await uploadAttachment(t.db, userId, {
			name: 'notes.md',
			bytes: Buffer.from('# Shopping\nmilk')
		});
		expect(text).toMatchObject({
			ok: true,
			attachment: { name: 'notes.md', type: 'text/markdown', kind: 'document', size: 15 }
		});
		if (!text.ok) throw new Error('upload failed');
		const block = '<file name="notes.md">\n# Shopping\nmilk\n</file>';
		expect(text.attachment.tokens).toBe(Math.ceil(block.length / CHARS_PER_TOKEN));
		const image = await uploadAttachment(t.db, userId, {
			name: '../../etc/photo.png',
			bytes: TINY_PNG
		});
		expect(image).toMatchObject({
			ok: true,
			attachment: {
				name: 'photo.png',
				type: 'image/png',
				kind: 'image',
				tokens: IMAGE_TOKEN_ESTIMATE
			}
		});
		if (!image.ok) throw new Error('upload failed');
		expect(await readAttachment(t.db, otherId, image.attachment.id)).toBeUndefined();
		const stored = await readAttachment(t.db, userId, image.attachment.id);
		expect(Buffer.from(stored!.data).equals(TINY_PNG)).toBe(true);
	});

	it('refuses bad files with a reason and stores nothing', async () => {
		const before = await count();
		const cases: [string, Uint8Array, string][] = [
			['empty.txt', new Uint8Array(), 'empty_file'],
			['photo.jpg', Buffer.from('not a photo at all'), 'type_mismatch'],
			[
				'a.exe',
				Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff]),
				'unsupported_type'
			],
			['scan.pdf', await makeScannedPdf(), 'no_text_layer'],
			['locked.pdf', await makeEncryptedPdf(), 'encrypted'],
			[
				'broken.pdf',
				Buffer.concat([(await makePdf(1)).subarray(0, 30), Buffer.alloc(200, 0x20)]),
				'corrupt'
			],
			['huge.txt', Buffer.alloc(MAX_ATTACHMENT_BYTES + 1, 0x61), 'too_large']
		];
		for (const [name, bytes, code] of cases)
			expect(await uploadAttachment(t.db, userId, { name, bytes }), name).toMatchObject({
				ok: false,
				code
			});
		expect(await count()).toBe(before);
	});

	it('sends documents into the prompt and images as parts, to their owner only', async () => {
		const conv = await createConversation(t.db, userId, {});
		const doc = await uploadAttachment(t.db, userId, {
			name: 'receipt.pdf',
			bytes: await makePdf(2, 'Total 42 EUR')
		});
		const img = await uploadAttachment(t.db, userId, { name: 'r.png', bytes: TINY_PNG });
		const theirs = await uploadAttachment(t.db, otherId, {
			name: 'x.txt',
			bytes: Buffer.from('private')
		});
		if (!doc.ok || !img.ok || !theirs.ok) throw new Error('upload failed');

		const stolen = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: 'hi', attachments: [theirs.attachment.id] },
			deps
		);
		expect(stolen).toMatchObject({ ok: false, code: 'not_found' });
		const blind = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: 'what is this?', attachments: [img.attachment.id] },
			deps
		);
		expect(blind).toMatchObject({ ok: false, code: 'model_cannot_see' });
		const tooMany = Array.from(
			{ length: MAX_ATTACHMENTS_PER_MESSAGE + 1 },
			() => doc.attachment.id
		);
		expect(
			await sendMessage(t.db, userId, conv.id, { content: 'x', attachments: tooMany }, deps)
		).toMatchObject({
			ok: false,
			code: 'invalid'
		});

		const sent = await sendMessage(
			t.db,
			userId,
			conv.id,
			{
				content: 'What is the total?',
				model: 'llama/eyes',
				attachments: [doc.attachment.id, img.attachment.id]
			},
			deps
		);
		if (!sent.ok) throw new Error(sent.message);
		expect(sent.message.attachments?.map((a) => a.name)).toEqual(['receipt.pdf', 'r.png']);
		const read = await getConversation(t.db, userId, conv.id);
		expect(read?.messages[0]?.attachments).toEqual(sent.message.attachments);
		expect(read?.messages[1]?.attachments).toBeUndefined();

		const built = await promptFor(
			t.db,
			{ conversation_id: conv.id, user_message_id: sent.message.id, model: 'm' },
			{}
		);
		if (!built.ok) throw new Error(built.message);
		const prompt = built.messages;
		expect(prompt).toHaveLength(1);
		expect(prompt[0]!.content).toMatch(
			/^What is the total\?\n\n<file name="receipt.pdf">\n[\s\S]*Total 42 EUR 1[\s\S]*Total 42 EUR 2[\s\S]*<\/file>$/
		);
		expect(prompt[0]!.images).toEqual([{ type: 'image/png', base64: TINY_PNG.toString('base64') }]);
		await finishAll();
	});

	it('keeps attachments a branch links, and deletes them with the last conversation', async () => {
		const conv = await createConversation(t.db, userId, {});
		const doc = await uploadAttachment(t.db, userId, {
			name: 'a.txt',
			bytes: Buffer.from('branch me')
		});
		if (!doc.ok) throw new Error('upload failed');
		const sent = await sendMessage(
			t.db,
			userId,
			conv.id,
			{ content: '', attachments: [doc.attachment.id] },
			deps
		);
		if (!sent.ok) throw new Error(sent.message);
		await finishAll();
		const branch = await branchConversation(t.db, userId, conv.id, sent.message.id);
		if (!branch.ok) throw new Error(branch.message);
		expect(branch.conversation.messages[0]?.attachments?.[0]?.id).toBe(doc.attachment.id);

		expect(await deleteConversation(t.db, userId, conv.id)).toBe(true);
		expect(await readAttachment(t.db, userId, doc.attachment.id)).toBeDefined();
		expect(await deleteConversation(t.db, userId, branch.conversation.id)).toBe(true);
		expect(await readAttachment(t.db, userId, doc.attachment.id)).toBeUndefined();
	});

	it('sweeps uploads never sent once they are a day old', async () => {
		const old = await uploadAttachment(
			t.db,
			otherId,
			{ name: 'old.txt', bytes: Buffer.from('old') },
			1_000
		);
		if (!old.ok) throw new Error('upload failed');
		await uploadAttachment(
			t.db,
			otherId,
			{ name: 'new.txt', bytes: Buffer.from('new') },
			2_000 + UNSENT_UPLOAD_TTL_MS
		);
		expect(await readAttachment(t.db, otherId, old.attachment.id)).toBeUndefined();
	});

	it('caps the uploads waiting to be sent, by count and by bytes (no one fills the disk)', async () => {
		const [countUser, bytesUser] = (await insertUsers(t.db, 'cap1', 'cap2')) as [number, number];
		for (let i = 0; i < MAX_UNSENT_UPLOADS; i++) {
			const ok = await uploadAttachment(t.db, countUser, {
				name: `n${i}.txt`,
				bytes: Buffer.from(`note ${i}`)
			});
			expect(ok.ok).toBe(true);
		}
		const before = await count();
		const refused = await uploadAttachment(t.db, countUser, {
			name: 'one-more.txt',
			bytes: Buffer.from('one more')
		});
		expect(refused).toMatchObject({ ok: false, code: 'too_many_uploads' });
		expect(await count()).toBe(before);
		// Another user is not held back by this one's uploads.
		expect(
			(await uploadAttachment(t.db, otherId, { name: 'x.txt', bytes: Buffer.from('x') })).ok
		).toBe(true);

		const big = Buffer.alloc(MAX_ATTACHMENT_BYTES, 'a');
		const fits = Math.floor(MAX_UNSENT_UPLOAD_BYTES / MAX_ATTACHMENT_BYTES);
		for (let i = 0; i < fits; i++)
			expect((await uploadAttachment(t.db, bytesUser, { name: `b${i}.txt`, bytes: big })).ok).toBe(
				true
			);
		expect(await uploadAttachment(t.db, bytesUser, { name: 'over.txt', bytes: big })).toMatchObject(
			{ ok: false, code: 'too_many_uploads' }
		);
	});
});
