// Files for attachment tests, generated: PDFs with pdfkit (with text, without a text layer,
// password-protected), DOCX as a minimal zip, and a JPEG's EXIF block carrying a GPS position.
import PDFDocument from 'pdfkit';
import { makeZip } from './zip';

function pdfBytes(
	build: (doc: PDFKit.PDFDocument) => void,
	options: PDFKit.PDFDocumentOptions = {}
) {
	return new Promise<Buffer>((resolve, reject) => {
		const doc = new PDFDocument({ compress: true, ...options });
		const chunks: Buffer[] = [];
		doc.on('data', (chunk: Buffer) => chunks.push(chunk));
		doc.on('end', () => resolve(Buffer.concat(chunks)));
		doc.on('error', reject);
		build(doc);
		doc.end();
	});
}

/** `pages` pages, page n saying `${text} n` followed by some filler. */
export function makePdf(pages: number, text = 'Page', filler = ''): Promise<Buffer> {
	return pdfBytes((doc) => {
		for (let n = 1; n <= pages; n++) {
			if (n > 1) doc.addPage();
			doc.fontSize(12).text(`${text} ${n}. ${filler}`);
		}
	});
}

/** A page with a drawing and no text at all (as a scan would be). */
export function makeScannedPdf(): Promise<Buffer> {
	return pdfBytes((doc) => {
		doc.rect(50, 50, 200, 300).fill('#333');
	});
}

export function makeEncryptedPdf(): Promise<Buffer> {
	return pdfBytes((doc) => doc.text('secret receipt'), {
		userPassword: 'open-sesame',
		ownerPassword: 'owner',
		pdfVersion: '1.7'
	});
}

/** A minimal Word document whose body is `paragraphs`. */
export function makeDocx(paragraphs: string[]): Buffer {
	const body = paragraphs.map((p) => `<w:p><w:r><w:t>${p}</w:t></w:r></w:p>`).join('');
	return makeZip([
		{
			name: '[Content_Types].xml',
			data: `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`
		},
		{
			name: '_rels/.rels',
			data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`
		},
		{
			name: 'word/document.xml',
			data: `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`
		}
	]);
}

/** A DOCX-shaped zip whose document claims a small size but inflates to `inflated` bytes. */
export function makeDocxBomb(inflated: number): Buffer {
	return makeZip([
		{ name: '[Content_Types].xml', data: '<Types/>' },
		{ name: 'word/document.xml', data: Buffer.alloc(inflated, 0x20), declaredSize: 1000 }
	]);
}

/** An EXIF APP1 segment (big-endian TIFF) with a GPS IFD holding latitude 51°N. */
function exifGpsSegment(): Buffer {
	const tiff = Buffer.alloc(64);
	tiff.write('MM', 0, 'ascii');
	tiff.writeUInt16BE(42, 2);
	tiff.writeUInt32BE(8, 4); // IFD0 at 8
	// IFD0: one entry, GPSInfo (0x8825) → GPS IFD at 26
	tiff.writeUInt16BE(1, 8);
	tiff.writeUInt16BE(0x8825, 10);
	tiff.writeUInt16BE(4, 12); // LONG
	tiff.writeUInt32BE(1, 14);
	tiff.writeUInt32BE(26, 18);
	tiff.writeUInt32BE(0, 22); // no next IFD
	// GPS IFD: GPSLatitudeRef = "N"
	tiff.writeUInt16BE(1, 26);
	tiff.writeUInt16BE(0x0001, 28);
	tiff.writeUInt16BE(2, 30); // ASCII
	tiff.writeUInt32BE(2, 32);
	tiff.write('N\0', 36, 'ascii');
	tiff.writeUInt32BE(0, 40);
	const payload = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), tiff]);
	const header = Buffer.alloc(4);
	header.writeUInt16BE(0xffe1, 0);
	header.writeUInt16BE(payload.length + 2, 2);
	return Buffer.concat([header, payload]);
}

/** `jpeg` with an EXIF block (GPS included) inserted right after its SOI marker. */
export function withExifGps(jpeg: Buffer): Buffer {
	if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
	return Buffer.concat([jpeg.subarray(0, 2), exifGpsSegment(), jpeg.subarray(2)]);
}

/** Whether `bytes` carry an EXIF block at all (GPS lives inside one). */
export function hasExif(bytes: Uint8Array): boolean {
	return Buffer.from(bytes).includes(Buffer.from('Exif\0\0', 'binary'));
}

/** A 1×1 PNG. */
export const TINY_PNG = Buffer.from(
	'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
	'base64'
);
