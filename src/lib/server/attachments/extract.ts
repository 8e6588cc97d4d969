// Text from a document, bounded: PDFs (unpdf, pdf.js) and DOCX (mammoth) are read in a worker
// thread with a heap limit and a deadline, so a hostile or huge file costs at most
// EXTRACT_TIMEOUT_MS and EXTRACT_HEAP_MB and never blocks the server's event loop; the
// libraries load only there, so the server's start-up memory does not grow. At most
// MAX_PAGES pages and MAX_DOCUMENT_CHARS characters are kept.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { checkDocxZip } from '$lib/server/attachments/docx-guard';
import type { DocumentFormat } from '$lib/server/attachments/sniff';

export const MAX_PAGES = 300;
export const MAX_DOCUMENT_CHARS = 400_000;
export const EXTRACT_TIMEOUT_MS = 30_000;
export const EXTRACT_HEAP_MB = 256;
/** Extractions at once; more wait their turn (a Pi has 4 cores and little memory). */
export const MAX_CONCURRENT_EXTRACTIONS = 2;

export type Extracted =
	| { ok: true; text: string; truncated: boolean; pages?: number }
	| {
			ok: false;
			code: 'no_text_layer' | 'encrypted' | 'corrupt' | 'too_complex';
			message: string;
	  };

type WorkerAnswer =
	| { ok: true; text: string; truncated: boolean; pages?: number }
	| { ok: false; name: string; message: string };

/** Runs as CommonJS in the worker; the libraries are imported from paths resolved here. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { format, bytes, maxPages, maxChars, modules } = workerData;
async function pdfText() {
	const { getDocumentProxy } = await import(modules.unpdf);
	const pdf = await getDocumentProxy(bytes);
	const pages = Math.min(pdf.numPages, maxPages);
	let text = '';
	for (let i = 1; i <= pages && text.length <= maxChars; i++) {
		const page = await pdf.getPage(i);
		const content = await page.getTextContent();
		for (const item of content.items) if ('str' in item) text += item.str + (item.hasEOL ? '\\n' : '');
		text += '\\n\\n';
		page.cleanup();
	}
	const truncated = pdf.numPages > pages || text.length > maxChars;
	await pdf.destroy();
	return { ok: true, text: text.slice(0, maxChars), truncated, pages: pdf.numPages };
}
async function docxText() {
	const loaded = await import(modules.mammoth);
	const mammoth = loaded.default ?? loaded;
	const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
	return { ok: true, text: result.value.slice(0, maxChars), truncated: result.value.length > maxChars };
}
(format === 'pdf' ? pdfText() : docxText()).then(
	(answer) => parentPort.postMessage(answer),
	(error) => parentPort.postMessage({ ok: false, name: String(error && error.name), message: String(error && error.message) })
);
`;

const require = createRequire(import.meta.url);
let modules: { unpdf: string; mammoth: string } | null = null;
function modulePaths() {
	modules ??= {
		unpdf: pathToFileURL(require.resolve('unpdf')).href,
		mammoth: pathToFileURL(require.resolve('mammoth')).href
	};
	return modules;
}

let running = 0;
const waiting: (() => void)[] = [];
async function withSlot<T>(work: () => Promise<T>): Promise<T> {
	if (running >= MAX_CONCURRENT_EXTRACTIONS) await new Promise<void>((go) => waiting.push(go));
	running += 1;
	try {
		return await work();
	} finally {
		running -= 1;
		waiting.shift()?.();
	}
}

const TOO_COMPLEX = {
	ok: false as const,
	code: 'too_complex' as const,
	message: `Reading this file took too long or too much memory (limits: ${EXTRACT_TIMEOUT_MS / 1000} s, ${EXTRACT_HEAP_MB} MB)`
};

function inWorker(format: 'pdf' | 'docx', bytes: Uint8Array): Promise<WorkerAnswer | null> {
	return new Promise((resolve) => {
		const worker = new Worker(WORKER_SOURCE, {
			eval: true,
			workerData: {
				format,
				bytes,
				maxPages: MAX_PAGES,
				maxChars: MAX_DOCUMENT_CHARS,
				modules: modulePaths()
			},
			resourceLimits: { maxOldGenerationSizeMb: EXTRACT_HEAP_MB, maxYoungGenerationSizeMb: 32 },
			stdout: true,
			stderr: true
		});
		let answered = false;
		const done = (answer: WorkerAnswer | null) => {
			if (answered) return;
			answered = true;
			clearTimeout(deadline);
			void worker.terminate();
			resolve(answer);
		};
		const deadline = setTimeout(() => done(null), EXTRACT_TIMEOUT_MS);
		worker.once('message', (answer: WorkerAnswer) => done(answer));
		// Out of memory (ERR_WORKER_OUT_OF_MEMORY) or a crash: the worker dies, the server does not.
		worker.once('error', () => done(null));
		worker.once('exit', () => done(null));
	});
}

function failed(format: 'pdf' | 'docx', answer: { name: string; message: string }): Extracted {
	if (answer.name === 'PasswordException')
		return {
			ok: false,
			code: 'encrypted',
			message: 'This PDF is protected by a password; remove it and attach the file again'
		};
	return {
		ok: false,
		code: 'corrupt',
		message: `This ${format.toUpperCase()} file is damaged or not readable`
	};
}

/** The document's text, or why there is none. `bytes` are known to be of `format` (sniff.ts). */
export async function extractText(format: DocumentFormat, bytes: Uint8Array): Promise<Extracted> {
	if (format === 'text') {
		const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
		return {
			ok: true,
			text: text.slice(0, MAX_DOCUMENT_CHARS),
			truncated: text.length > MAX_DOCUMENT_CHARS
		};
	}
	if (format === 'docx') {
		const zip = await checkDocxZip(bytes);
		if (!zip.ok)
			return zip.reason === 'bomb'
				? {
						...TOO_COMPLEX,
						message: 'This DOCX unpacks to far more than it weighs; Hearth will not open it'
					}
				: failed('docx', { name: 'zip', message: '' });
	}
	const answer = await withSlot(() => inWorker(format, bytes));
	if (!answer) return TOO_COMPLEX;
	if (!answer.ok) return failed(format, answer);
	if (format === 'pdf' && !answer.text.trim())
		return {
			ok: false,
			code: 'no_text_layer',
			message:
				'This PDF has no text layer (it is probably scanned pages); Hearth cannot read it. Attach the pages as photos to a model that takes images instead.'
		};
	return answer;
}
