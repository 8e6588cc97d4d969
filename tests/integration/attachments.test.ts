// Attachments over HTTP against the built server and a real llama-server: a document's text
// reaches the model (the prompt grows by the document block's own token count, as llama.cpp
// tokenizes it), every kind of bad upload is a 4xx JSON error, and files are their owner's only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlamaServer, type LlamaServer } from '../support/llama-server';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { newConversation, settledReply } from '../support/chat';
import { makeEncryptedPdf, makePdf, TINY_PNG } from '../support/attachment-fixtures';
import { documentBlock } from '$lib/server/services/attachments-prompt';
import {
	MAX_ATTACHMENT_BYTES,
	MAX_ATTACHMENTS_PER_MESSAGE,
	type AttachmentDto
} from '$lib/shared/attachments';
import type { SendResultDto } from '$lib/shared/dto';

const DOCUMENT = Array.from(
	{ length: 12 },
	(_, i) => `Line ${i + 1}: the hearth keeps the house warm through the winter.`
).join('\n');

describe('attachments over HTTP', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let alice: ApiClient;
	let bob: ApiClient;

	beforeAll(async () => {
		llama = await startLlamaServer({ contextSize: 2048 });
		hearth = await startHearth({ LLAMA_URL: llama.url });
		addUser(hearth, 'alice', 'alice-password');
		addUser(hearth, 'bob', 'bob-password-1');
		alice = await signIn(hearth, 'alice', 'alice-password');
		bob = await signIn(hearth, 'bob', 'bob-password-1');
	}, 120_000);
	afterAll(async () => {
		await hearth?.stop();
		await llama?.stop();
	});

	async function upload(
		client: ApiClient,
		name: string,
		bytes: Uint8Array,
		type = 'application/octet-stream'
	) {
		const form = new FormData();
		form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
		const res = await fetch(`${hearth.url}/api/attachments`, {
			method: 'POST',
			headers: { cookie: client.cookie, origin: hearth.url },
			body: form
		});
		return {
			status: res.status,
			body: (await res.json()) as AttachmentDto & { error?: { code: string; message: string } }
		};
	}

	async function promptTokens(attachments: string[]): Promise<number> {
		const id = await newConversation(alice);
		const sent = await alice.json<SendResultDto>('POST', `/api/conversations/${id}/messages`, {
			content: 'Summarise.',
			maxTokens: 2,
			attachments
		});
		expect(sent.status, JSON.stringify(sent.body)).toBe(202);
		const reply = await settledReply(alice, id, sent.body.reply.id);
		expect(reply.status).toBe('done');
		return reply.usage!.promptTokens;
	}

	async function llamaTokens(text: string): Promise<number> {
		const res = await fetch(`${llama.url}/tokenize`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ content: text, add_special: false })
		});
		return ((await res.json()) as { tokens: unknown[] }).tokens.length;
	}

	it("puts a text document's content in the prompt: the prompt grows by its tokens", async () => {
		const doc = await upload(alice, 'hearth.txt', Buffer.from(DOCUMENT), 'text/plain');
		expect(doc.status, JSON.stringify(doc.body)).toBe(201);
		expect(doc.body).toMatchObject({
			name: 'hearth.txt',
			type: 'text/plain',
			kind: 'document',
			size: DOCUMENT.length
		});
		const without = await promptTokens([]);
		const withDoc = await promptTokens([doc.body.id]);
		const block = await llamaTokens(`\n\n${documentBlock('hearth.txt', DOCUMENT)}`);
		expect(block).toBeGreaterThan(100);
		// Token boundaries where the block joins the message can merge or split one or two tokens.
		expect(Math.abs(withDoc - without - block)).toBeLessThanOrEqual(3);
	});

	it('reads a PDF and serves files only to their owner, as downloads that never run', async () => {
		const pdf = await upload(alice, 'receipt.pdf', await makePdf(2, 'Total 42 EUR'));
		expect(pdf.status).toBe(201);
		expect(pdf.body).toMatchObject({ type: 'application/pdf', kind: 'document' });
		const text = await alice.json<{ text: string }>('GET', `/api/attachments/${pdf.body.id}/text`);
		expect(text.body.text).toContain('Total 42 EUR 2');
		const file = await alice.call('GET', `/api/attachments/${pdf.body.id}`);
		expect(file.status).toBe(200);
		expect(file.headers.get('content-type')).toBe('application/pdf');
		expect(file.headers.get('content-disposition')).toBe(
			`attachment; filename="receipt.pdf"; filename*=UTF-8''receipt.pdf`
		);
		expect(file.headers.get('x-content-type-options')).toBe('nosniff');
		expect(file.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
		expect((await bob.call('GET', `/api/attachments/${pdf.body.id}`)).status).toBe(404);
		expect((await bob.call('GET', `/api/attachments/${pdf.body.id}/text`)).status).toBe(404);
		expect((await alice.call('GET', '/api/attachments/not-an-id')).status).toBe(404);
		const bobs = await newConversation(bob);
		const stolen = await bob.json<{ error: { code: string } }>(
			'POST',
			`/api/conversations/${bobs}/messages`,
			{
				content: 'mine now',
				attachments: [pdf.body.id]
			}
		);
		expect(stolen.status).toBe(404);
	});

	it('refuses bad uploads and bad attachment lists with 4xx JSON errors', async () => {
		const cases: [string, Uint8Array, string, number, string][] = [
			['empty.txt', new Uint8Array(), 'text/plain', 400, 'empty_file'],
			['photo.png', Buffer.from('<svg onload=alert(1)>'), 'image/png', 415, 'type_mismatch'],
			[
				'tool.exe',
				Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff]),
				'text/plain',
				415,
				'unsupported_type'
			],
			['locked.pdf', await makeEncryptedPdf(), 'application/pdf', 422, 'encrypted'],
			[
				'broken.pdf',
				Buffer.concat([(await makePdf(1)).subarray(0, 40), Buffer.alloc(300, 0x20)]),
				'application/pdf',
				422,
				'corrupt'
			],
			['big.txt', Buffer.alloc(MAX_ATTACHMENT_BYTES + 1, 0x61), 'text/plain', 413, 'too_large']
		];
		for (const [name, bytes, type, status, code] of cases) {
			const res = await upload(alice, name, bytes, type);
			expect([name, res.status, res.body.error?.code]).toEqual([name, status, code]);
		}
		const json = await alice.json('POST', '/api/attachments', { file: 'x' });
		expect(json.status).toBe(415);
		const form = new FormData();
		form.append('file', new Blob(['a']), 'a.txt');
		form.append('other', new Blob(['b']), 'b.txt');
		const two = await fetch(`${hearth.url}/api/attachments`, {
			method: 'POST',
			headers: { cookie: alice.cookie, origin: hearth.url },
			body: form
		});
		expect(two.status).toBe(400);

		const id = await newConversation(alice);
		const image = await upload(alice, 'dot.png', TINY_PNG, 'image/png');
		expect(image.status).toBe(201);
		const tooMany = await alice.json('POST', `/api/conversations/${id}/messages`, {
			content: 'x',
			attachments: Array.from({ length: MAX_ATTACHMENTS_PER_MESSAGE + 1 }, () => image.body.id)
		});
		expect(tooMany.status).toBe(400);
		// The test model has no projector: llama-server's /props say it cannot see.
		const blind = await alice.json<{ error: { code: string; message: string } }>(
			'POST',
			`/api/conversations/${id}/messages`,
			{ content: 'What is this?', attachments: [image.body.id] }
		);
		expect(blind.status).toBe(422);
		expect(blind.body.error.code).toBe('model_cannot_see');
		expect(
			(await alice.json<{ messages: unknown[] }>('GET', `/api/conversations/${id}`)).body.messages
		).toHaveLength(0);
	});

	it('deletes attachments with their conversation', async () => {
		const doc = await upload(alice, 'gone.md', Buffer.from('# soon gone'));
		const id = await newConversation(alice);
		const sent = await alice.json<SendResultDto>('POST', `/api/conversations/${id}/messages`, {
			content: '',
			maxTokens: 2,
			attachments: [doc.body.id]
		});
		expect(sent.status).toBe(202);
		expect(sent.body.message.attachments).toEqual([doc.body]);
		await settledReply(alice, id, sent.body.reply.id);
		expect((await alice.call('DELETE', `/api/conversations/${id}`)).status).toBeLessThan(300);
		expect((await alice.call('GET', `/api/attachments/${doc.body.id}`)).status).toBe(404);
	});
});
