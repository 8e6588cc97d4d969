// An import upload (multipart, one or more `file` parts) written to private temporary files in
// DATA_DIR as it arrives: never buffered in memory, counted against a byte cap, 0600.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '$lib/server/private-files';
import { BodyTooLargeError } from '$lib/server/body-limit';
import { MAX_IMPORT_FILES, MAX_IMPORT_UPLOAD_BYTES } from '$lib/server/imports/limits';

const MAX_FILE_NAME_CHARS = 200;

export interface SpooledFile {
	path: string;
	name: string;
	size: number;
}

export type SpoolResult =
	| { ok: true; files: SpooledFile[] }
	| { ok: false; status: 400 | 413 | 415; code: string; message: string };

export const importSpoolDir = (dataDir: string) => path.join(dataDir, 'imports');

export function removeSpooled(files: { path: string }[]): void {
	for (const f of files) fs.rmSync(f.path, { force: true });
}

function cleanName(name: string | undefined): string {
	const base = (name ?? '').split(/[\\/]/).pop() ?? '';
	// eslint-disable-next-line no-control-regex
	return base.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_FILE_NAME_CHARS) || 'upload';
}

class TooLarge extends Error {}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
	try {
		while (!(await reader.read()).done);
	} catch {
		// the client went away or the body went past the hooks' limit: nothing left to drain
	}
}

export async function spoolUpload(
	request: Request,
	dataDir: string,
	limit = MAX_IMPORT_UPLOAD_BYTES
): Promise<SpoolResult> {
	const type = request.headers.get('content-type') ?? '';
	if (!/^multipart\/form-data\b/i.test(type) || !request.body)
		return {
			ok: false,
			status: 415,
			code: 'unsupported_media_type',
			message: 'Send the export as multipart/form-data with a `file` field'
		};
	const dir = importSpoolDir(dataDir);
	ensurePrivateDir(dir);
	const files: SpooledFile[] = [];
	const writes: Promise<void>[] = [];
	// A file stream stopped early may still be opening its file: it is removed once closed.
	const closed: Promise<void>[] = [];
	let total = 0;
	let parser: busboy.Busboy;
	try {
		parser = busboy({
			headers: { 'content-type': type },
			// Browsers send file names in UTF-8 (busboy's default reads them as latin1).
			defParamCharset: 'utf8',
			limits: { files: MAX_IMPORT_FILES, fields: 10, fieldSize: 1024, parts: MAX_IMPORT_FILES + 10 }
		});
	} catch {
		return { ok: false, status: 400, code: 'invalid_request', message: 'Malformed multipart body' };
	}
	parser.on('file', (field, stream, info) => {
		if (field !== 'file') {
			stream.resume();
			return;
		}
		const file: SpooledFile = {
			path: path.join(dir, `${randomBytes(16).toString('hex')}.upload`),
			name: cleanName(info.filename),
			size: 0
		};
		files.push(file);
		const count = new Transform({
			transform(chunk: Buffer, _encoding, done) {
				file.size += chunk.length;
				total += chunk.length;
				done(total > limit ? new TooLarge() : null, chunk);
			}
		});
		const out = fs.createWriteStream(file.path, { flags: 'wx', mode: PRIVATE_FILE_MODE });
		closed.push(new Promise((resolve) => out.once('close', () => resolve())));
		const write = pipeline(stream, count, out);
		// A failed write (the cap, a full disk) ends the whole upload at once; without this, busboy
		// would wait for the abandoned part to be read and the upload would hang.
		write.catch((error: unknown) => parser.destroy(error as Error));
		writes.push(write);
	});
	// The pipeline destroys its source on a parse error; a web stream's reader would cancel the
	// request body, and the adapter then drops the connection before our 400 is sent. So the body
	// is read here and, after an error, drained (the hooks' body limit bounds the drain).
	const reader = request.body.getReader();
	const source = new Readable({
		read() {
			reader.read().then(
				({ done, value }) => this.push(done ? null : value),
				(error: unknown) => this.destroy(error as Error)
			);
		}
	});
	try {
		await pipeline(source, parser);
		const settled = await Promise.allSettled(writes);
		const failed = settled.find((s) => s.status === 'rejected');
		if (failed) throw (failed as PromiseRejectedResult).reason;
	} catch (error) {
		void drain(reader);
		await Promise.allSettled(writes);
		await Promise.all(closed);
		removeSpooled(files);
		if (error instanceof TooLarge || error instanceof BodyTooLargeError)
			return {
				ok: false,
				status: 413,
				code: 'payload_too_large',
				message: `The upload is larger than ${limit} bytes`
			};
		return {
			ok: false,
			status: 400,
			code: 'invalid_request',
			message: 'The upload was cut off or is not well-formed multipart'
		};
	}
	const nonEmpty = files.filter((f) => f.size > 0);
	await Promise.all(closed);
	removeSpooled(files.filter((f) => f.size === 0));
	if (nonEmpty.length === 0)
		return {
			ok: false,
			status: 400,
			code: 'invalid_request',
			message: 'No `file` to import (or it is empty)'
		};
	return { ok: true, files: nonEmpty };
}
