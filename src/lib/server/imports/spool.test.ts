import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importSpoolDir, spoolUpload } from '$lib/server/imports/spool';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-spool-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const BOUNDARY = 'hearthboundary';

/** A multipart body sent chunked (no Content-Length), in pieces of 1 KiB. */
function chunkedUpload(parts: { field: string; filename: string; data: Buffer }[]): Request {
	const body = Buffer.concat([
		...parts.flatMap((p) => [
			Buffer.from(
				`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.field}"; filename="${p.filename}"\r\n` +
					'Content-Type: application/octet-stream\r\n\r\n'
			),
			p.data,
			Buffer.from('\r\n')
		]),
		Buffer.from(`--${BOUNDARY}--\r\n`)
	]);
	const stream = new ReadableStream<Uint8Array>({
		start(controller) {
			for (let i = 0; i < body.length; i += 1024) controller.enqueue(body.subarray(i, i + 1024));
			controller.close();
		}
	});
	return new Request('http://localhost/api/imports', {
		method: 'POST',
		headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
		body: stream,
		duplex: 'half'
	} as RequestInit);
}

const spooledFiles = () => fs.readdirSync(importSpoolDir(dataDir));

describe('spoolUpload', () => {
	// Found by the sweep of every endpoint: busboy reads header parameters as latin1 by default,
	// so the import list showed "GesprÃ¤che.json" (browsers send the name in UTF-8).
	it('keeps a UTF-8 file name as it was sent', async () => {
		const result = await spoolUpload(
			chunkedUpload([
				{ field: 'file', filename: 'Gespräche – 会話.json', data: Buffer.from('[1]') }
			]),
			dataDir
		);
		if (!result.ok) throw new Error(result.message);
		expect(result.files.map((f) => f.name)).toEqual(['Gespräche – 会話.json']);
		for (const f of result.files) fs.rmSync(f.path);
	});

	it('writes each `file` part to a private file, keeping only its base name', async () => {
		const result = await spoolUpload(
			chunkedUpload([
				{ field: 'file', filename: '../../etc/conversations-000.json', data: Buffer.from('[1]') },
				{ field: 'file', filename: 'conversations-001.json', data: Buffer.from('[2]') },
				{ field: 'other', filename: 'x', data: Buffer.from('ignored') }
			]),
			dataDir
		);
		if (!result.ok) throw new Error(result.message);
		expect(result.files.map((f) => [f.name, f.size])).toEqual([
			['conversations-000.json', 3],
			['conversations-001.json', 3]
		]);
		for (const f of result.files) {
			expect(path.dirname(f.path)).toBe(importSpoolDir(dataDir));
			expect(fs.statSync(f.path).mode & 0o777).toBe(0o600);
			expect(fs.readFileSync(f.path, 'utf8')).toMatch(/^\[\d\]$/);
			fs.rmSync(f.path);
		}
	});

	it('refuses a chunked upload past the cap with 413 and leaves no file behind', async () => {
		const result = await spoolUpload(
			chunkedUpload([{ field: 'file', filename: 'big.json', data: Buffer.alloc(64 * 1024, 0x20) }]),
			dataDir,
			16 * 1024
		);
		expect(result).toMatchObject({ ok: false, status: 413, code: 'payload_too_large' });
		expect(spooledFiles()).toEqual([]);
	});

	it('refuses other content types and uploads without a file', async () => {
		const json = new Request('http://localhost/api/imports', {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '[]'
		});
		expect(await spoolUpload(json, dataDir)).toMatchObject({ ok: false, status: 415 });
		const empty = chunkedUpload([{ field: 'file', filename: 'empty.json', data: Buffer.alloc(0) }]);
		expect(await spoolUpload(empty, dataDir)).toMatchObject({ ok: false, status: 400 });
		expect(spooledFiles()).toEqual([]);
	});
});
