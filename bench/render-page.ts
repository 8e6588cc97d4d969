// The renderer as the page runs it, bundled for the streaming benchmark: it runs in Chromium,
// where DOMPurify works on the browser's own DOM (jsdom would dwarf the parse work it measures).
import { sanitize } from '$lib/client/markdown/sanitize';
import { MarkdownStream } from '$lib/client/markdown/stream';
import { highlight, highlightNow } from '$lib/client/markdown/highlight';
import { grammarName } from '$lib/client/markdown/grammars';
import { codeBlockHtml, lexBlocks, renderBlockTokens } from '$lib/client/markdown/render';
import type { Tokens } from 'marked';

/** One full render of finished text: every block rendered, code highlighted, all sanitized. */
async function renderFull(text: string): Promise<string> {
	const tokens = lexBlocks(text);
	const html: string[] = [];
	for (const token of tokens) {
		const grammar = token.type === 'code' ? grammarName((token as Tokens.Code).lang) : null;
		if (grammar) {
			const code = (token as Tokens.Code).text;
			html.push(codeBlockHtml(code, (token as Tokens.Code).lang, await highlight(code, grammar)));
		} else html.push(renderBlockTokens([token], tokens.links));
	}
	return sanitize(html.join(''));
}

/** Feeds `text` in `delta`-character steps, one update per step; ms of work in total. */
async function streamAll(text: string, delta: number): Promise<number> {
	const pending: Promise<string>[] = [];
	sanitizeMs = 0;
	const stream = new MarkdownStream({
		sanitize: (html) => {
			const t = performance.now();
			const clean = sanitize(html);
			sanitizeMs += performance.now() - t;
			return clean;
		},
		highlightNow,
		highlight: (code, grammar) => {
			const p = highlight(code, grammar);
			pending.push(p);
			return p;
		}
	});
	const started = performance.now();
	for (let at = delta; at < text.length; at += delta) stream.update(text.slice(0, at), false);
	stream.update(text, true);
	await Promise.all(pending);
	lastWork = { ...stream.work, sanitizeMs };
	return performance.now() - started;
}

let lastWork = {};
let sanitizeMs = 0;

async function timeFull(text: string): Promise<number> {
	const started = performance.now();
	await renderFull(text);
	return performance.now() - started;
}

Object.assign(globalThis, { hearthBench: { timeFull, streamAll, work: () => lastWork } });
