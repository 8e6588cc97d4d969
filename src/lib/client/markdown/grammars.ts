// The grammars Hearth highlights, by fence name: each one its own chunk, loaded on first use.
// Kept apart from highlight.ts so the page can name a grammar without loading shiki itself.
type Grammar = () => Promise<{ default: unknown }>;

/** Fence names Hearth highlights; anything else is shown as plain code. */
export const GRAMMARS: Record<string, Grammar> = {
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
