// Code highlighting with shiki's fine-grained core and its JavaScript regex engine (no WASM).
// Grammars load on demand, one dynamic chunk each; the colours are CSS variables mapped to
// classes (tok-keyword, …) so the theme lives in app.css and switching it re-highlights nothing.
import { createCssVariablesTheme, createHighlighterCore, type HighlighterCore } from 'shiki/core';
import { createJavaScriptRegexEngine } from 'shiki/engine/javascript';
import { escapeHtml } from '$lib/client/markdown/escape';

type Grammar = () => Promise<{ default: unknown }>;

/** Fence names Hearth highlights; anything else is shown as plain code. */
const GRAMMARS: Record<string, Grammar> = {
	javascript: () => import('@shikijs/langs/javascript'),
	typescript: () => import('@shikijs/langs/typescript'),
	jsx: () => import('@shikijs/langs/jsx'),
	tsx: () => import('@shikijs/langs/tsx'),
	python: () => import('@shikijs/langs/python'),
	bash: () => import('@shikijs/langs/bash'),
	json: () => import('@shikijs/langs/json'),
	html: () => import('@shikijs/langs/html'),
	css: () => import('@shikijs/langs/css'),
	c: () => import('@shikijs/langs/c'),
	cpp: () => import('@shikijs/langs/cpp'),
	csharp: () => import('@shikijs/langs/csharp'),
	rust: () => import('@shikijs/langs/rust'),
	go: () => import('@shikijs/langs/go'),
	java: () => import('@shikijs/langs/java'),
	kotlin: () => import('@shikijs/langs/kotlin'),
	swift: () => import('@shikijs/langs/swift'),
	ruby: () => import('@shikijs/langs/ruby'),
	php: () => import('@shikijs/langs/php'),
	lua: () => import('@shikijs/langs/lua'),
	sql: () => import('@shikijs/langs/sql'),
	yaml: () => import('@shikijs/langs/yaml'),
	toml: () => import('@shikijs/langs/toml'),
	xml: () => import('@shikijs/langs/xml'),
	markdown: () => import('@shikijs/langs/markdown'),
	diff: () => import('@shikijs/langs/diff'),
	dockerfile: () => import('@shikijs/langs/dockerfile'),
	svelte: () => import('@shikijs/langs/svelte')
};

const ALIASES: Record<string, string> = {
	js: 'javascript',
	mjs: 'javascript',
	cjs: 'javascript',
	ts: 'typescript',
	py: 'python',
	sh: 'bash',
	shell: 'bash',
	zsh: 'bash',
	console: 'bash',
	jsonc: 'json',
	'c++': 'cpp',
	cs: 'csharp',
	rs: 'rust',
	golang: 'go',
	kt: 'kotlin',
	rb: 'ruby',
	yml: 'yaml',
	md: 'markdown',
	docker: 'dockerfile',
	patch: 'diff',
	htm: 'html',
	svg: 'xml'
};

/** The grammar name for a fence's info string, or null: the name is untrusted model output. */
export function grammarName(info: string | undefined): string | null {
	const word = (info ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
	const name = ALIASES[word] ?? word;
	return Object.hasOwn(GRAMMARS, name) ? name : null;
}

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

/** The highlighted lines of `code` as HTML spans (loads the grammar on first use). */
export async function highlight(code: string, name: string): Promise<string> {
	const hl = await load(name);
	return renderTokens(hl, code, name);
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
