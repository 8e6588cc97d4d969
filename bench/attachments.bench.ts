// Attachments: (1) text extraction of a generated 100-page PDF (pdfkit) — wall time and the
// process's peak resident memory while the worker reads it — against the plain-text path for the
// same text as the baseline; (2) time from upload to the first token of the reply on the built
// server with a real llama-server (the generated test model), against the same message without
// a file as the baseline. Medians of RUNS runs; nothing is asserted.
import { it } from 'vitest';
import { extractText } from '$lib/server/attachments/extract';
import { parseSse } from '$lib/client/sse';
import { makePdf } from '../tests/support/attachment-fixtures';
import { startLlamaServer } from '../tests/support/llama-server';
import { addUser, signIn, startHearth, type ApiClient } from '../tests/support/hearth-server';
import { fmt, median } from './support';

const RUNS = 5;
const PAGES = 100;
const RSS_SAMPLE_MS = 10;
const FILLER = 'The hearth keeps the house warm through the long northern winter. '.repeat(12);

/** Runs `work` while sampling this process's RSS; returns its time and the peak RSS growth. */
async function measured<T>(work: () => Promise<T>) {
	const before = process.memoryUsage.rss();
	let peak = before;
	const sampler = setInterval(
		() => (peak = Math.max(peak, process.memoryUsage.rss())),
		RSS_SAMPLE_MS
	);
	const started = performance.now();
	const result = await work();
	const ms = performance.now() - started;
	clearInterval(sampler);
	peak = Math.max(peak, process.memoryUsage.rss());
	return { result, ms, peakMb: peak / 1024 / 1024, growthMb: (peak - before) / 1024 / 1024 };
}

it(`extracts the text of a ${PAGES}-page PDF`, async () => {
	const pdf = await makePdf(PAGES, 'Page', FILLER);
	const pdfRuns = [];
	let chars = 0;
	for (let i = 0; i < RUNS; i++) {
		const run = await measured(() => extractText('pdf', pdf));
		if (!run.result.ok) throw new Error(run.result.message);
		chars = run.result.text.length;
		pdfRuns.push(run);
	}
	const text = Buffer.from(
		Array.from({ length: PAGES }, (_, i) => `Page ${i + 1}. ${FILLER}`).join('\n\n')
	);
	const textRuns = [];
	for (let i = 0; i < RUNS; i++) textRuns.push(await measured(() => extractText('text', text)));
	console.log(
		[
			`\nPDF extraction: ${PAGES} pages, ${(pdf.length / 1024).toFixed(0)} KB, ${chars} characters`,
			`  PDF (worker, unpdf):  median ${fmt(median(pdfRuns.map((r) => r.ms)), 0)} ms, ` +
				`peak RSS ${fmt(Math.max(...pdfRuns.map((r) => r.peakMb)))} MB ` +
				`(+${fmt(Math.max(...pdfRuns.map((r) => r.growthMb)))} MB over the process before)`,
			`  baseline, same text as .txt: median ${fmt(median(textRuns.map((r) => r.ms)), 2)} ms, ` +
				`peak RSS ${fmt(Math.max(...textRuns.map((r) => r.peakMb)))} MB`
		].join('\n')
	);
});

async function firstToken(
	client: ApiClient,
	url: string,
	file: Buffer | null
): Promise<{ total: number; upload: number }> {
	const started = performance.now();
	let upload = 0;
	const attachments: string[] = [];
	if (file) {
		const form = new FormData();
		form.append('file', new Blob([new Uint8Array(file)]), 'notes.pdf');
		const res = await fetch(`${url}/api/attachments`, {
			method: 'POST',
			headers: { cookie: client.cookie, origin: url },
			body: form
		});
		if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
		attachments.push(((await res.json()) as { id: string }).id);
		upload = performance.now() - started;
	}
	const { id } = await (await client.call('POST', '/api/conversations', {})).json();
	const res = await client.call(
		'POST',
		`/api/conversations/${id}/messages`,
		{ content: 'Summarise the notes.', maxTokens: 8, attachments },
		{ headers: { accept: 'text/event-stream' } }
	);
	if (!res.ok || !res.body) throw new Error(`send: ${res.status}`);
	const controller = new AbortController();
	for await (const event of parseSse(res.body)) {
		if (event.event === 'delta') {
			controller.abort();
			return { total: performance.now() - started, upload };
		}
		if (event.event === 'error' || event.event === 'done') break;
	}
	throw new Error('no token');
}

it('time from upload to the first token (built server, real llama-server)', async () => {
	const llama = await startLlamaServer({ contextSize: 4096 });
	const hearth = await startHearth({ LLAMA_URL: llama.url });
	try {
		addUser(hearth, 'bench', 'bench-password-1');
		const client = await signIn(hearth, 'bench', 'bench-password-1');
		const pdf = await makePdf(2, 'Note', 'The hearth keeps the house warm. '.repeat(8));
		await firstToken(client, hearth.url, null); // warm-up
		const plain: number[] = [];
		const withPdf: number[] = [];
		const uploads: number[] = [];
		for (let i = 0; i < RUNS; i++) {
			plain.push((await firstToken(client, hearth.url, null)).total);
			const run = await firstToken(client, hearth.url, pdf);
			withPdf.push(run.total);
			uploads.push(run.upload);
		}
		console.log(
			[
				`\nUpload to first token (2-page PDF, ${(pdf.length / 1024).toFixed(1)} KB, test model):`,
				`  upload + send + first token: median ${fmt(median(withPdf), 0)} ms ` +
					`(of which the upload, text extraction included: ${fmt(median(uploads), 0)} ms)`,
				`  baseline, the message alone: median ${fmt(median(plain), 0)} ms`
			].join('\n')
		);
	} finally {
		await hearth.stop();
		await llama.stop();
	}
});
