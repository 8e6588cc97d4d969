import { describe, expect, it } from 'vitest';
import { extractText, MAX_PAGES } from '$lib/server/attachments/extract';
import { sniffAttachment } from '$lib/server/attachments/sniff';
import {
	makeDocx,
	makeDocxBomb,
	makeEncryptedPdf,
	makePdf,
	makeScannedPdf,
	TINY_PNG
} from '../../../../tests/support/attachment-fixtures';

describe('sniffAttachment', () => {
	it('decides the type from the bytes and refuses names that promise something else', async () => {
		expect(await sniffAttachment('x.png', TINY_PNG)).toMatchObject({
			ok: true,
			kind: 'image',
			type: 'image/png'
		});
		expect(await sniffAttachment('photo', TINY_PNG)).toMatchObject({ ok: true, type: 'image/png' });
		expect(await sniffAttachment('notes.md', Buffer.from('# Hi'))).toMatchObject({
			ok: true,
			kind: 'document',
			type: 'text/markdown',
			format: 'text'
		});
		expect(
			await sniffAttachment('evil.png', Buffer.from('<script>alert(1)</script>'))
		).toMatchObject({
			ok: false,
			code: 'type_mismatch'
		});
		expect(await sniffAttachment('report.pdf', TINY_PNG)).toMatchObject({
			ok: false,
			code: 'type_mismatch'
		});
		expect(
			await sniffAttachment('a.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0]))
		).toMatchObject({
			ok: false,
			code: 'unsupported_type'
		});
		expect(
			await sniffAttachment('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]))
		).toMatchObject({
			ok: false,
			code: 'unsupported_type'
		});
		expect(await sniffAttachment('empty.txt', new Uint8Array())).toMatchObject({
			ok: false,
			code: 'empty_file'
		});
		expect(await sniffAttachment('a.pdf', await makePdf(1))).toMatchObject({
			ok: true,
			format: 'pdf'
		});
		expect(await sniffAttachment('a.docx', makeDocx(['hi']))).toMatchObject({
			ok: true,
			format: 'docx'
		});
	});
});

describe('extractText', () => {
	it('reads a PDF page by page, stopping at the page cap', async () => {
		const small = await extractText('pdf', await makePdf(3, 'Receipt line'));
		expect(small).toMatchObject({ ok: true, truncated: false, pages: 3 });
		if (small.ok) expect(small.text).toMatch(/Receipt line 1[\s\S]*Receipt line 3/);
		const big = await extractText('pdf', await makePdf(MAX_PAGES + 5, 'P'));
		expect(big).toMatchObject({ ok: true, truncated: true, pages: MAX_PAGES + 5 });
		if (big.ok) {
			expect(big.text).toContain(`P ${MAX_PAGES}.`);
			expect(big.text).not.toContain(`P ${MAX_PAGES + 1}.`);
		}
	});

	it('says when a PDF has no text, is encrypted or is damaged', async () => {
		expect(await extractText('pdf', await makeScannedPdf())).toMatchObject({
			ok: false,
			code: 'no_text_layer'
		});
		expect(await extractText('pdf', await makeEncryptedPdf())).toMatchObject({
			ok: false,
			code: 'encrypted'
		});
		const pdf = await makePdf(2);
		const damaged = Buffer.concat([pdf.subarray(0, 20), Buffer.alloc(400, 0x41)]);
		expect(await extractText('pdf', damaged)).toMatchObject({ ok: false, code: 'corrupt' });
	});

	it('reads DOCX and refuses a zip that inflates past its word', async () => {
		const docx = await extractText('docx', makeDocx(['First paragraph', 'Second one']));
		expect(docx).toMatchObject({ ok: true });
		if (docx.ok) expect(docx.text).toMatch(/First paragraph\s+Second one/);
		expect(await extractText('docx', makeDocxBomb(4 * 1024 * 1024))).toMatchObject({
			ok: false,
			code: 'too_complex'
		});
		expect(await extractText('docx', Buffer.from('PK\x03\x04 not really a zip'))).toMatchObject({
			ok: false,
			code: 'corrupt'
		});
	});
});
