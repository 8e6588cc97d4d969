// Incremental markdown for a reply that is still streaming. Completed blocks are rendered (and
// sanitized, and their code highlighted) exactly once; only the live last block is re-parsed,
// when a block boundary arrives or it has doubled, so the parse work of a whole reply stays
// within about twice one full render. Text not parsed yet is shown as plain text meanwhile, and
// an open code fence as plain code.
import type { Links, Token, Tokens } from 'marked';
import {
	codeBlockHtml,
	lexBlocks,
	normalize,
	renderBlockTokens
} from '$lib/client/markdown/render';
import { grammarName } from '$lib/client/markdown/grammars';
import { sanitizeMany } from '$lib/client/markdown/sanitize';

/** The live block is re-parsed once it has doubled in length… */
const TAIL_GROWTH = 1;
/** …and grown by at least this many characters… */
const TAIL_MIN_STEP_CHARS = 384;
/** …and it is rendered as markdown only from this length (before that: plain text). */
const TAIL_MIN_RENDER_CHARS = 384;

export interface RenderedBlock {
	key: number;
	html: string;
}

export interface MarkdownStreamOptions {
	sanitize: (html: string) => string;
	/** Highlights a completed code block; absent: code stays plain. */
	highlight?: (code: string, grammar: string) => Promise<string>;
	/** The highlighted code at once, when the highlighter is ready (null: not yet). */
	highlightNow?: (code: string, grammar: string) => string | null;
	/** Called when a block changed after update() returned (a highlight arrived). */
	onChange?: () => void;
}

/** New text that may complete a block (a blank line or a fence line) is parsed at once. */
const BLOCK_BOUNDARY = /\n[ \t]*\n|\n {0,3}(`{3,}|~{3,})/g;
const BOUNDARY_OVERLAP = 8;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
/** How many of its last characters identify the text an update continues. */
const APPEND_CHECK_CHARS = 256;

/** `next` continues `previous`: longer, and the same where `previous` ended. */
function isAppend(previous: string, next: string): boolean {
	if (!previous || next.length < previous.length || previous.endsWith('\r')) return false;
	const from = Math.max(0, previous.length - APPEND_CHECK_CHARS);
	return next.slice(from, previous.length) === previous.slice(from);
}
const CLOSING_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

/** A fenced code block whose closing fence has arrived: nothing after it can change it. */
function isClosedFence(token: Token): boolean {
	if (token.type !== 'code' || (token as Tokens.Code).codeBlockStyle === 'indented') return false;
	const lines = token.raw.trimEnd().split('\n');
	const open = FENCE_OPEN.exec(lines[0] ?? '')?.[1];
	const close = CLOSING_FENCE.exec(lines.at(-1) ?? '')?.[1];
	return (
		lines.length > 1 && !!open && !!close && close[0] === open[0] && close.length >= open.length
	);
}

export class MarkdownStream {
	/** Completed blocks, sanitized; their objects are replaced (never mutated) when highlighted. */
	blocks: RenderedBlock[] = [];
	/** Sanitized HTML of the live block(s). */
	tail = '';
	/** Text after the rendered tail, not parsed yet: shown as plain text. */
	pending = '';
	/** A code block still being written: shown as plain text in a code box, highlighted once closed. */
	openCode: { info: string; code: string } | null = null;
	/** The text last given (before line endings were normalised), to spot appends. */
	private raw = '';
	/** The normalised text from the first block that is not complete yet. */
	private live = '';
	/** How much of `live` the tail's HTML shows, and where the last block boundary ended. */
	private tailEnd = 0;
	private boundaryEnd = 0;
	private nextKey = 0;
	private links: Links = {};
	private generation = 0;
	/** What the renderer has done so far (read by the streaming benchmark). */
	readonly work = { parses: 0, lexedChars: 0, blocks: 0 };

	constructor(private readonly options: MarkdownStreamOptions) {}

	/**
	 * Feeds the whole text so far; `final` renders everything (the reply is complete). Work per
	 * call is bounded by the live block, never the whole reply: text that ends like the last one
	 * did (its final characters) is taken as an append, anything else starts over.
	 */
	update(raw: string, final: boolean): void {
		const seen = this.live.length;
		if (isAppend(this.raw, raw)) this.live += normalize(raw.slice(this.raw.length));
		else {
			if (this.raw) this.reset();
			this.live = normalize(raw);
		}
		this.raw = raw;
		const text = this.live;
		// Only text new since the last update can complete a block (a few characters of overlap
		// catch a blank line split across two deltas).
		const boundary = this.newBoundary(text, Math.max(0, seen - BOUNDARY_OVERLAP));
		if (!final && !boundary && this.showOpenCode(text)) return;
		const grown = text.length - this.tailEnd;
		if (!final && !boundary && grown < Math.max(TAIL_MIN_STEP_CHARS, this.tailEnd * TAIL_GROWTH)) {
			this.pending = text.slice(this.tailEnd);
			return;
		}
		this.openCode = null;
		const tokens = lexBlocks(text);
		this.work.parses++;
		this.work.lexedChars += text.length;
		Object.assign(this.links, tokens.links);
		const live = final ? tokens.length : this.liveIndex(tokens);
		let offset = 0;
		let done = 0;
		for (; done < live; done++) {
			const token = tokens[done]!;
			if (!text.startsWith(token.raw, offset)) break;
			offset += token.raw.length;
		}
		const completed = tokens.slice(0, done).filter((t) => t.type !== 'space');
		const rest = tokens.slice(done);
		// A live block that is only just starting stays plain text until it is worth a parse.
		const renderTail = rest.length > 0 && (final || text.length - offset >= TAIL_MIN_RENDER_CHARS);
		const highlighted = new Set<Token>();
		const html = completed.map((t) => {
			const now = this.highlightedNow(t);
			if (now === null) return renderBlockTokens([t], this.links);
			highlighted.add(t);
			return now;
		});
		if (renderTail) html.push(renderBlockTokens(rest, this.links));
		const clean = sanitizeMany(this.options.sanitize, html);
		if (completed.length > 0) {
			this.blocks = [
				...this.blocks,
				...completed.map((token, i) => this.keep(token, clean[i]!, highlighted.has(token)))
			];
		}
		this.live = text.slice(offset);
		this.boundaryEnd = Math.max(0, this.boundaryEnd - offset);
		this.tail = renderTail ? clean.at(-1)! : '';
		this.tailEnd = renderTail ? this.live.length : 0;
		this.pending = this.live.slice(this.tailEnd);
	}

	/** While the live block is an open code fence, it is shown as plain code without parsing. */
	private showOpenCode(text: string): boolean {
		if (!FENCE_OPEN.test(text)) return false;
		const newline = text.indexOf('\n');
		this.tail = '';
		this.tailEnd = 0;
		this.pending = '';
		this.openCode = {
			info:
				newline < 0 ? text.replace(FENCE_OPEN, '') : text.slice(0, newline).replace(FENCE_OPEN, ''),
			code: newline < 0 ? '' : text.slice(newline + 1)
		};
		return true;
	}

	/** Whether a blank line or fence line ends after `from`, and after the last one seen. */
	private newBoundary(text: string, from: number): boolean {
		// Inside an open code fence only a fence line can end the block, not a blank line.
		const inFence = FENCE_OPEN.test(text);
		BLOCK_BOUNDARY.lastIndex = from;
		for (let m = BLOCK_BOUNDARY.exec(text); m; m = BLOCK_BOUNDARY.exec(text)) {
			const end = m.index + m[0].length;
			if (inFence && !m[1]) continue;
			if (end > this.boundaryEnd) {
				this.boundaryEnd = end;
				return true;
			}
		}
		return false;
	}

	/** Index of the first token that may still change: the last one, unless it is a closed fence. */
	private liveIndex(tokens: Token[]): number {
		let live = tokens.length - 1;
		while (live > 0 && tokens[live]!.type === 'space') live--;
		if (live < 0) return 0;
		if (isClosedFence(tokens[live]!)) return live + 1;
		// A list may continue after a blank line: keep it live while it is next to the tail.
		let before = live - 1;
		while (before >= 0 && tokens[before]!.type === 'space') before--;
		if (before >= 0 && tokens[before]!.type === 'list') live = before;
		return live;
	}

	/** A completed block; its code is highlighted once, in the background. */
	/** A code block's highlighted HTML if the highlighter can do it right now, else null. */
	private highlightedNow(token: Token): string | null {
		const grammar = token.type === 'code' ? grammarName((token as Tokens.Code).lang) : null;
		if (!grammar || !this.options.highlightNow) return null;
		const { text, lang } = token as Tokens.Code;
		const body = this.options.highlightNow(text, grammar);
		return body === null ? null : codeBlockHtml(text, lang, body);
	}

	private keep(token: Token, html: string, highlighted: boolean): RenderedBlock {
		this.work.blocks++;
		const block = { key: this.nextKey++, html };
		const grammar = token.type === 'code' ? grammarName((token as Tokens.Code).lang) : null;
		if (grammar && !highlighted && this.options.highlight) {
			const code = (token as Tokens.Code).text;
			const generation = this.generation;
			void this.options.highlight(code, grammar).then(
				(body) => {
					if (generation !== this.generation) return;
					const i = this.blocks.findIndex((b) => b.key === block.key);
					if (i < 0) return;
					const html = this.options.sanitize(
						codeBlockHtml(code, (token as Tokens.Code).lang, body)
					);
					const blocks = [...this.blocks];
					blocks[i] = { key: block.key, html };
					this.blocks = blocks;
					this.options.onChange?.();
				},
				() => {}
			);
		}
		return block;
	}

	private reset() {
		this.generation++;
		this.blocks = [];
		this.tail = '';
		this.pending = '';
		this.openCode = null;
		this.raw = '';
		this.live = '';
		this.tailEnd = 0;
		this.boundaryEnd = 0;
		this.links = {};
	}
}

/** One full render of finished text (the baseline a stream is measured against). */
export function renderMarkdown(text: string, sanitize: (html: string) => string): string {
	const tokens = lexBlocks(normalize(text));
	return sanitize(renderBlockTokens(tokens, tokens.links));
}
