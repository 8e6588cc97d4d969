// The bytes of one model download: appending a response body to the partial file (hashing as it
// goes, progress reported on a clock, a stalled connection dropped), and the checks before the
// file may join the models folder. Failures are typed: `Refused` ends the download (the partial
// file is removed), `Dropped` resumes it from what is on disk.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { GgufError, readGgufInfo } from '$lib/server/local-models/gguf-info';

/** Progress is reported at most this often (and at the end). */
export const DOWNLOAD_PROGRESS_INTERVAL_MS = 500;
/** A connection that sends nothing for this long is dropped and resumed. */
export const DOWNLOAD_IDLE_TIMEOUT_MS = 60_000;

/** A download that cannot go on: its message is for the admin, and the partial file is removed. */
export class Refused extends Error {}
/** The connection broke: resume from the partial file. */
export class Dropped extends Error {}

export async function sizeOrZero(file: string): Promise<number> {
	return (await fs.stat(file).catch(() => null))?.size ?? 0;
}

/** `hash` fed with the file's bytes (the part already on disk, before a resume). */
export async function hashFile(file: string, hash: Hash = createHash('sha256')): Promise<Hash> {
	for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
	return hash;
}

export interface Receive {
	part: string;
	/** Bytes already in the part file. */
	offset: number;
	/** The whole file's size, as announced. */
	size: number;
	/** Fed with every byte received. */
	hash: Hash;
	signal: AbortSignal;
	onProgress(bytes: number): Promise<unknown>;
}

/** Appends `res`'s body to the part file; returns the bytes now in it (Dropped when short). */
export async function receive(res: Response, r: Receive): Promise<number> {
	if (!res.body) throw new Dropped('the file server sent no body');
	const body = Readable.fromWeb(res.body as NodeReadableStream);
	let bytes = r.offset;
	let reported = r.offset;
	let reporting = false;
	let lastChunk = Date.now();
	// Progress is reported on a clock, not per chunk: a burst then a stall still shows.
	const progress = setInterval(() => {
		if (reporting || bytes === reported) return;
		reporting = true;
		const at = bytes;
		void r
			.onProgress(at)
			.then(() => (reported = at))
			.catch(() => undefined)
			.finally(() => (reporting = false));
	}, DOWNLOAD_PROGRESS_INTERVAL_MS);
	const idle = setInterval(() => {
		if (Date.now() - lastChunk >= DOWNLOAD_IDLE_TIMEOUT_MS)
			body.destroy(new Dropped('the file server stopped sending'));
	}, DOWNLOAD_IDLE_TIMEOUT_MS / 4);
	const count = new Transform({
		transform(chunk: Buffer, _encoding, done) {
			lastChunk = Date.now();
			if (bytes + chunk.byteLength > r.size)
				return done(new Refused(`The file is larger than the ${r.size} bytes the hub announced`));
			r.hash.update(chunk);
			bytes += chunk.byteLength;
			done(null, chunk);
		}
	});
	try {
		await pipeline(body, count, createWriteStream(r.part, { flags: 'a', mode: 0o600 }), {
			signal: r.signal
		});
	} catch (error) {
		if (error instanceof Refused || r.signal.aborted) throw error;
		if ((error as NodeJS.ErrnoException).code === 'ENOSPC')
			throw new Refused('The disk is full: the download was stopped');
		throw new Dropped((error as Error).message);
	} finally {
		clearInterval(idle);
		clearInterval(progress);
	}
	await r.onProgress(bytes);
	if (bytes < r.size) throw new Dropped(`the connection ended after ${bytes} of ${r.size} bytes`);
	return bytes;
}

/** The size, the SHA-256 when the hub published one, and a readable GGUF header. */
export async function verifyPart(
	part: string,
	expected: { size: number; sha256: string | null; hash: string }
) {
	const actual = await sizeOrZero(part);
	if (actual !== expected.size)
		throw new Refused(`The file has ${actual} bytes, not the ${expected.size} the hub announced`);
	if (expected.sha256 && expected.sha256 !== expected.hash)
		throw new Refused('The file does not match the SHA-256 the hub published: it is corrupt');
	try {
		await readGgufInfo(part);
	} catch (error) {
		if (error instanceof GgufError) throw new Refused(`Not a GGUF model file: ${error.message}`);
		throw error;
	}
}
