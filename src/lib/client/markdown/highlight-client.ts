// The page's side of code highlighting: asks the worker (highlight.worker.ts) and remembers
// recent answers, so a conversation opened again shows its blocks highlighted at once. Where a
// worker cannot start, shiki runs on the page instead, one block per idle moment.
import type { HighlightAnswer, HighlightRequest } from '$lib/client/markdown/highlight.worker';
import { whenIdle } from '$lib/client/idle';

/** Highlighted blocks kept for highlightNow (a conversation opened again). */
const RECENT_BLOCKS = 300;
const recent = new Map<string, string>();

let worker: Worker | null | undefined;
let nextId = 0;
const waiting = new Map<number, { resolve: (html: string) => void; reject: (e: Error) => void }>();

function startWorker(): Worker | null {
	try {
		const started = new Worker(new URL('./highlight.worker.ts', import.meta.url), {
			type: 'module'
		});
		started.onmessage = ({ data }: MessageEvent<HighlightAnswer>) => {
			const pending = waiting.get(data.id);
			waiting.delete(data.id);
			if ('html' in data) pending?.resolve(data.html);
			else pending?.reject(new Error(data.error));
		};
		started.onerror = () => {
			for (const pending of waiting.values()) pending.reject(new Error('highlighter failed'));
			waiting.clear();
		};
		return started;
	} catch {
		return null;
	}
}

function inWorker(w: Worker, code: string, grammar: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const id = nextId++;
		waiting.set(id, { resolve, reject });
		w.postMessage({ id, code, grammar } satisfies HighlightRequest);
	});
}

let onPage: Promise<unknown> = Promise.resolve();
function inPage(code: string, grammar: string): Promise<string> {
	const next = onPage.then(async () => {
		await whenIdle();
		const { highlight } = await import('$lib/client/markdown/highlight');
		return highlight(code, grammar);
	});
	onPage = next.catch(() => {});
	return next;
}

const keyOf = (code: string, grammar: string) => `${grammar}\u0000${code}`;

/** The highlighted lines of `code` as HTML spans (unsanitized: the caller sanitizes). */
export async function highlight(code: string, grammar: string): Promise<string> {
	if (worker === undefined) worker = typeof Worker === 'function' ? startWorker() : null;
	const html = await (worker ? inWorker(worker, code, grammar) : inPage(code, grammar));
	if (recent.size >= RECENT_BLOCKS) recent.delete(recent.keys().next().value!);
	recent.set(keyOf(code, grammar), html);
	return html;
}

/** The same, at once, if this block was highlighted recently; null otherwise. */
export function highlightNow(code: string, grammar: string): string | null {
	return recent.get(keyOf(code, grammar)) ?? null;
}
