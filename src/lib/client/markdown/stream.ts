// Incremental markdown for a reply that is still streaming. Completed blocks are rendered (and
// sanitized, and their code highlighted) exactly once; only the live last block is re-parsed,
// and only after it has grown by half again, so the parse work of a whole reply stays within a
// small multiple of one full render. Text not yet parsed is shown as plain text meanwhile.
import type { Links, Token, Tokens } from 'marked';
import {
	codeBlockHtml,
	lexBlocks,
	normalize,
	renderBlockTokens
} from '$lib/client/markdown/render';
import { grammarName } from '$lib/client/markdown/grammars';

/** The live block is re-parsed once it has grown by this share of its rendered length… */
const TAIL_GROWTH = 0.5;
/** …and by at least this many characters. */
const TAIL_MIN_STEP_CHARS = 32;

export interface RenderedBlock {
	key: number;
	html: string;
}

export interface MarkdownStreamOptions {
	sanitize: (html: string) => string;
	/** Highlights a completed code block; absent: code stays plain. */
	highlight?: (code: string, grammar: string) => Promise<string>;
	/** Called when a block changed after update() returned (a highlight arrived). */
	onChange?: () => void;
}

/** New text that may complete a block (a blank line or a fence line) is parsed at once. */
const BLOCK_BOUNDARY = /\n[ \t]*\n|\n {0,3}(`{3,}|~{3,})/;
const CLOSING_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

/** A fenced code block whose closing fence has arrived: nothing after it can change it. */
function isClosedFence(token: Token): boolean {
	if (token.type !== 'code' || (token as Tokens.Code).codeBlockStyle === 'indented') return false;
	const lines = token.raw.trimEnd().split('\n');
	const open = /^ {0,3}(`{3,}|~{3,})/.exec(lines[0] ?? '')?.[1];
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
	private source = '';
	private stable = 0;
	private tailEnd = 0;
	private nextKey = 0;
	private links: Links = {};
	private generation = 0;

	constructor(private readonly options: MarkdownStreamOptions) {}

	/** Feeds the whole text so far; `final` renders everything (the reply is complete). */
	update(raw: string, final: boolean): void {
		const text = normalize(raw);
		if (!text.startsWith(this.source.slice(0, this.stable))) this.reset();
		this.source = text;
		const rendered = this.tailEnd - this.stable;
		const grown = text.length - this.tailEnd;
		const fresh = text.slice(this.tailEnd);
		const boundary = BLOCK_BOUNDARY.test(fresh);
		if (!final && !boundary && grown < Math.max(TAIL_MIN_STEP_CHARS, rendered * TAIL_GROWTH)) {
			this.pending = fresh;
			return;
		}
		const tokens = lexBlocks(text.slice(this.stable));
		Object.assign(this.links, tokens.links);
		const live = final ? tokens.length : this.liveIndex(tokens);
		let offset = this.stable;
		let done = 0;
		for (; done < live; done++) {
			const token = tokens[done]!;
			if (!text.startsWith(token.raw, offset)) break;
			offset += token.raw.length;
			if (token.type !== 'space') this.blocks.push(this.renderBlock(token));
		}
		if (done > 0) this.blocks = [...this.blocks];
		this.stable = offset;
		const rest = tokens.slice(done);
		this.tail = rest.length > 0 ? this.options.sanitize(renderBlockTokens(rest, this.links)) : '';
		this.tailEnd = text.length;
		this.pending = '';
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

	private renderBlock(token: Token): RenderedBlock {
		const block = {
			key: this.nextKey++,
			html: this.options.sanitize(renderBlockTokens([token], this.links))
		};
		const grammar = token.type === 'code' ? grammarName((token as Tokens.Code).lang) : null;
		if (grammar && this.options.highlight) {
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
		this.source = '';
		this.stable = 0;
		this.tailEnd = 0;
		this.links = {};
	}
}

/** One full render of finished text (the baseline a stream is measured against). */
export function renderMarkdown(text: string, sanitize: (html: string) => string): string {
	const tokens = lexBlocks(normalize(text));
	return sanitize(renderBlockTokens(tokens, tokens.links));
}
