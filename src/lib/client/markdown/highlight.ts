// Code highlighting with shiki's fine-grained core and its JavaScript regex engine (no WASM).
// Grammars load on demand, one dynamic chunk each; the colours are CSS variables mapped to
// classes (tok-keyword, …) so the theme lives in app.css and switching it re-highlights nothing.
import { createCssVariablesTheme, createHighlighterCore, type HighlighterCore } from 'shiki/core';
import { createJavaScriptRegexEngine } from 'shiki/engine/javascript';
import { escapeHtml } from '$lib/client/markdown/escape';
import { GRAMMARS } from '$lib/client/markdown/grammars';

const THEME = createCssVariablesTheme({
	name: 'hearth',
	variablePrefix: '--shiki-',
	fontStyle: true
});
const TOKEN_CLASS = /^var\(--shiki-token-([a-z-]+)\)$/;

let highlighter: Promise<HighlighterCore> | null = null;
const loading = new Map<string, Promise<void>>();

function core(): Promise<HighlighterCore> {
	highlighter ??= createHighlighterCore({
		themes: [THEME],
		langs: [],
		engine: createJavaScriptRegexEngine()
	});
	return highlighter;
}

async function load(name: string): Promise<HighlighterCore> {
	const hl = await core();
	let pending = loading.get(name);
	if (!pending) {
		pending = GRAMMARS[name]!().then((mod) =>
			hl.loadLanguage(mod.default as Parameters<HighlighterCore['loadLanguage']>[0])
		);
		loading.set(name, pending);
	}
	await pending;
	return hl;
}

/** Recently highlighted code (a conversation opened again shows the same blocks). */
const recent = new Map<string, string>();
const RECENT_BLOCKS = 300;
let ready: HighlighterCore | null = null;
const readyGrammars = new Set<string>();

/** The highlighted lines of `code` as HTML spans (loads the grammar on first use). */
export async function highlight(code: string, name: string): Promise<string> {
	const hl = await load(name);
	ready = hl;
	readyGrammars.add(name);
	return highlightNow(code, name)!;
}

/** The same, at once, if the grammar is loaded already; null otherwise. */
export function highlightNow(code: string, name: string): string | null {
	if (!ready || !readyGrammars.has(name)) return null;
	const key = `${name}\u0000${code}`;
	let html = recent.get(key);
	if (html === undefined) {
		html = renderTokens(ready, code, name);
		if (recent.size >= RECENT_BLOCKS) recent.delete(recent.keys().next().value!);
		recent.set(key, html);
	}
	return html;
}

function renderTokens(hl: HighlighterCore, code: string, name: string): string {
	const { tokens } = hl.codeToTokens(code, { lang: name, theme: 'hearth' });
	return tokens
		.map((line) =>
			line
				.map((token) => {
					const match = TOKEN_CLASS.exec(token.color ?? '');
					const classes = [
						match ? `tok-${match[1]}` : '',
						(token.fontStyle ?? 0) & 1 ? 'tok-i' : ''
					]
						.filter(Boolean)
						.join(' ');
					const text = escapeHtml(token.content);
					return classes ? `<span class="${classes}">${text}</span>` : text;
				})
				.join('')
		)
		.join('\n');
}
