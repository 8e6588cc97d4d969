// The uploaded file as a list of JSON documents to stream: the file itself when it is JSON, or
// the conversation files inside a ZIP (ChatGPT's conversations.json or its 2026 shards
// conversations-000.json …, Claude's conversations.json, or the ZIP's only JSON file). Entries are
// read lazily as streams; the entry count and the uncompressed size are bounded (ZIP bombs).
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export const MAX_ZIP_ENTRIES = 100_000;
/** Uncompressed bytes of the JSON read from one ZIP. yauzl checks each entry keeps its word. */
export const MAX_UNCOMPRESSED_BYTES = 8 * 1024 ** 3;

const ZIP_MAGIC = [0x50, 0x4b];
const CONVERSATION_FILE = /(^|\/)conversations(-\d+)?\.json$/i;

export interface ImportDocument {
	name: string;
	size: number;
}

export interface ImportSource {
	kind: 'json' | 'zip';
	documents: ImportDocument[];
	/** Sum of the documents' sizes: what "bytes read" counts up to. */
	totalBytes: number;
	open(index: number): Promise<Readable>;
	close(): void;
}

export type OpenSourceResult = { ok: true; source: ImportSource } | { ok: false; message: string };

async function firstBytes(file: string, count: number): Promise<Buffer> {
	const handle = await fs.promises.open(file, 'r');
	try {
		const buffer = Buffer.alloc(count);
		const { bytesRead } = await handle.read(buffer, 0, count, 0);
		return buffer.subarray(0, bytesRead);
	} finally {
		await handle.close();
	}
}

function openZip(file: string): Promise<yauzl.ZipFile> {
	return new Promise((resolve, reject) =>
		yauzl.open(
			file,
			{ lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false },
			(error, zip) => (error ? reject(error) : resolve(zip))
		)
	);
}

function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
	return new Promise((resolve, reject) => {
		const entries: yauzl.Entry[] = [];
		zip.on('entry', (entry: yauzl.Entry) => {
			entries.push(entry);
			zip.readEntry();
		});
		zip.on('end', () => resolve(entries));
		zip.on('error', reject);
		zip.readEntry();
	});
}

function chooseEntries(entries: yauzl.Entry[]): yauzl.Entry[] {
	const files = entries.filter(
		(e) => !e.fileName.endsWith('/') && !/(^|\/)__MACOSX\//.test(e.fileName)
	);
	const conversations = files.filter((e) => CONVERSATION_FILE.test(e.fileName));
	if (conversations.length > 0)
		return conversations.sort((a, b) => a.fileName.localeCompare(b.fileName));
	const json = files.filter((e) => /\.json$/i.test(e.fileName));
	return json.length === 1 ? json : [];
}

async function openZipSource(file: string, maxBytes: number): Promise<OpenSourceResult> {
	let zip: yauzl.ZipFile;
	try {
		zip = await openZip(file);
	} catch (error) {
		return { ok: false, message: `The ZIP file cannot be read (${(error as Error).message})` };
	}
	if (zip.entryCount > MAX_ZIP_ENTRIES) {
		zip.close();
		return { ok: false, message: `The ZIP holds more than ${MAX_ZIP_ENTRIES} files` };
	}
	let entries: yauzl.Entry[];
	try {
		entries = chooseEntries(await listEntries(zip));
	} catch (error) {
		zip.close();
		return { ok: false, message: `The ZIP file is damaged (${(error as Error).message})` };
	}
	if (entries.length === 0) {
		zip.close();
		return {
			ok: false,
			message: 'The ZIP holds no conversations.json (nor a single JSON file) to import'
		};
	}
	const totalBytes = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
	if (totalBytes > maxBytes) {
		zip.close();
		return {
			ok: false,
			message: `The ZIP unpacks to more than ${formatBytes(maxBytes)} of JSON`
		};
	}
	return {
		ok: true,
		source: {
			kind: 'zip',
			documents: entries.map((e) => ({ name: e.fileName, size: e.uncompressedSize })),
			totalBytes,
			open: (index) => zip.openReadStreamPromise(entries[index]!),
			close: () => zip.close()
		}
	};
}

const formatBytes = (n: number) =>
	n >= 1024 ** 3 ? `${Math.round(n / 1024 ** 3)} GiB` : `${Math.round(n / 1024 ** 2)} MiB`;

export async function openImportSource(
	file: string,
	name: string,
	maxUncompressedBytes = MAX_UNCOMPRESSED_BYTES
): Promise<OpenSourceResult> {
	const head = await firstBytes(file, 64);
	if (head[0] === ZIP_MAGIC[0] && head[1] === ZIP_MAGIC[1])
		return openZipSource(file, maxUncompressedBytes);
	const text = head
		.toString('utf8')
		.replace(/^\uFEFF/, '')
		.trimStart();
	if (!text.startsWith('[') && !text.startsWith('{'))
		return { ok: false, message: 'The file is neither a ZIP nor a JSON export' };
	const size = (await fs.promises.stat(file)).size;
	return {
		ok: true,
		source: {
			kind: 'json',
			documents: [{ name, size }],
			totalBytes: size,
			open: async () => fs.createReadStream(file),
			close: () => {}
		}
	};
}
