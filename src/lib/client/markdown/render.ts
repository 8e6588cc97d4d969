// Markdown → HTML with marked, block by block. Model output is hostile: raw HTML is shown as
// text, remote images become click-to-open links, code blocks carry a copy button and the
// grammar to highlight them with once they are complete. Everything leaves through sanitize().
import { Marked, type Links, type Token, type Tokens } from 'marked';
import { escapeHtml } from '$lib/client/markdown/escape';
import { grammarName } from '$lib/client/markdown/grammars';

const OWN_IMAGE = /^\/api\/images\/[A-Za-z0-9_-]+$/;

/** The host of a URL for display, or the text itself when it is not one. */
function hostOf(href: string): string {
	try {
		return new URL(href).host || href;
	} catch {
		return href;
	}
}

export function codeBlockHtml(code: string, info: string | undefined, body?: string): string {
	const label = escapeHtml((info ?? '').trim().split(/\s+/)[0] ?? '');
	const lang = grammarName(info);
	return (
		`<div class="code-block"><div class="code-head"><span>${label || 'text'}</span>` +
		`<button type="button" class="copy" data-copy="code">Copy</button></div>` +
		`<pre><code${lang ? ` data-lang="${lang}"` : ''}>${body ?? escapeHtml(code)}</code></pre></div>`
	);
}

const marked = new Marked({ gfm: true, breaks: false });
marked.use({
	renderer: {
		code: ({ text, lang }: Tokens.Code) => codeBlockHtml(text.replace(/\n$/, ''), lang),
		html: ({ text }: Tokens.HTML | Tokens.Tag) => escapeHtml(text),
		image: ({ href, text }: Tokens.Image) => {
			if (OWN_IMAGE.test(href)) return `<img src="${escapeHtml(href)}" alt="${escapeHtml(text)}">`;
			return (
				`<a class="remote-image" href="${escapeHtml(href)}">` +
				`Image: ${escapeHtml(text || 'untitled')} (${escapeHtml(hostOf(href))}) — open</a>`
			);
		}
	}
});

/** Lexes markdown into block tokens; `links` holds reference definitions. */
export function lexBlocks(text: string): Token[] & { links: Links } {
	return marked.lexer(text) as Token[] & { links: Links };
}

/** HTML (unsanitized) of some block tokens, with the reference links they may use. */
export function renderBlockTokens(tokens: Token[], links: Links): string {
	return marked.parser(Object.assign([...tokens], { links }));
}

/** Normalises line endings once so token lengths match the text they came from. */
export function normalize(text: string): string {
	return text.replace(/\r\n?/g, '\n');
}
