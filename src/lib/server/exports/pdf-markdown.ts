// Draws Markdown into a pdfkit document by walking marked's lexer tokens (marked is owned by
// client/markdown for the browser; on the server only its lexer is used, here). Headings, lists,
// quotes, tables and code (Courier) keep their structure; the text stays selectable.
import { Lexer, type Token, type Tokens } from 'marked';

export const FONTS = {
	body: 'Helvetica',
	bold: 'Helvetica-Bold',
	italic: 'Helvetica-Oblique',
	boldItalic: 'Helvetica-BoldOblique',
	mono: 'Courier'
} as const;

export const BODY_SIZE_PT = 10.5;
const CODE_SIZE_PT = 9;
const HEADING_SIZES_PT = [17, 15, 13, 12, 11, 11] as const;
const LIST_INDENT_PT = 16;
const QUOTE_INDENT_PT = 12;
const CELL_PADDING_PT = 4;
const MUTED = '#555555';
const CODE_BACKGROUND = '#f2f2f2';
const SAFE_LINK = /^(https?:|mailto:)/i;

interface Run {
	text: string;
	font: string;
	link?: string;
}

interface Box {
	x: number;
	width: number;
}

/**
 * The standard PDF fonts encode WinAnsi only: characters outside it would print as garbage, so
 * they become "?" (the Markdown and JSON exports keep every character).
 */
export function printable(text: string): string {
	return text
		.replace(/\t/g, '    ')
		.replace(/[^\n\x20-\x7e\xa0-\xff\u2013\u2014\u2018-\u201d\u2022\u2026\u20ac]/gu, '?');
}

function inlineRuns(tokens: Token[] | undefined, font: string = FONTS.body): Run[] {
	const runs: Run[] = [];
	for (const token of tokens ?? []) {
		const t = token as Tokens.Generic;
		switch (token.type) {
			case 'strong':
				runs.push(...inlineRuns(t.tokens, font === FONTS.italic ? FONTS.boldItalic : FONTS.bold));
				break;
			case 'em':
				runs.push(...inlineRuns(t.tokens, font === FONTS.bold ? FONTS.boldItalic : FONTS.italic));
				break;
			case 'codespan':
				runs.push({ text: (token as Tokens.Codespan).text, font: FONTS.mono });
				break;
			case 'link': {
				const link = token as Tokens.Link;
				const inner = inlineRuns(link.tokens, font);
				const href = SAFE_LINK.test(link.href) ? link.href : undefined;
				runs.push(...inner.map((r) => (href ? { ...r, link: href } : r)));
				break;
			}
			case 'image':
				runs.push({ text: `[image: ${(token as Tokens.Image).text}]`, font });
				break;
			case 'br':
				runs.push({ text: '\n', font });
				break;
			default:
				if (t.tokens && t.tokens.length > 0) runs.push(...inlineRuns(t.tokens, font));
				else runs.push({ text: decodeEntities(String(t.text ?? t.raw ?? '')), font });
		}
	}
	return runs;
}

function decodeEntities(text: string): string {
	return text
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&quot;/g, '"')
		.replace(/&#39;/g, "'")
		.replace(/&amp;/g, '&');
}

export class MarkdownPdf {
	constructor(private doc: PDFKit.PDFDocument) {}

	private get contentBox(): Box {
		const { margins, width } = this.doc.page;
		return { x: margins.left, width: width - margins.left - margins.right };
	}

	private writeRuns(runs: Run[], box: Box, size: number, color = 'black') {
		const doc = this.doc;
		const pieces = runs.filter((r) => r.text.length > 0);
		if (pieces.length === 0) return;
		doc.fontSize(size).fillColor(color);
		pieces.forEach((run, i) => {
			doc.font(run.font);
			const options = {
				width: box.width,
				continued: i < pieces.length - 1,
				link: run.link ?? null,
				underline: run.link !== undefined
			};
			if (i === 0) doc.text(printable(run.text), box.x, doc.y, options);
			else doc.text(printable(run.text), options);
		});
		doc.fillColor('black');
	}

	heading(text: string, depth: number, box = this.contentBox) {
		const size = HEADING_SIZES_PT[Math.min(depth, 6) - 1] ?? BODY_SIZE_PT;
		this.doc.moveDown(0.4);
		this.writeRuns([{ text, font: FONTS.bold }], box, size);
		this.doc.moveDown(0.2);
	}

	markdown(source: string, box = this.contentBox) {
		this.blocks(new Lexer({ gfm: true }).lex(source), box);
	}

	private blocks(tokens: Token[], box: Box, color = 'black') {
		for (const token of tokens) this.block(token, box, color);
	}

	private block(token: Token, box: Box, color: string) {
		const doc = this.doc;
		switch (token.type) {
			case 'heading': {
				const heading = token as Tokens.Heading;
				doc.moveDown(0.3);
				this.writeRuns(
					inlineRuns(heading.tokens, FONTS.bold),
					box,
					HEADING_SIZES_PT[heading.depth - 1] ?? BODY_SIZE_PT,
					color
				);
				doc.moveDown(0.2);
				break;
			}
			case 'paragraph':
				this.writeRuns(inlineRuns((token as Tokens.Paragraph).tokens), box, BODY_SIZE_PT, color);
				doc.moveDown(0.4);
				break;
			case 'text': {
				const text = token as Tokens.Text;
				this.writeRuns(
					text.tokens
						? inlineRuns(text.tokens)
						: [{ text: decodeEntities(text.text), font: FONTS.body }],
					box,
					BODY_SIZE_PT,
					color
				);
				break;
			}
			case 'code':
				this.code((token as Tokens.Code).text, box);
				break;
			case 'list':
				this.list(token as Tokens.List, box, color);
				break;
			case 'blockquote':
				this.blocks(
					(token as Tokens.Blockquote).tokens,
					{ x: box.x + QUOTE_INDENT_PT, width: box.width - QUOTE_INDENT_PT },
					MUTED
				);
				break;
			case 'table':
				this.table(token as Tokens.Table, box);
				break;
			case 'hr':
				doc.moveDown(0.3);
				doc
					.moveTo(box.x, doc.y)
					.lineTo(box.x + box.width, doc.y)
					.strokeColor('#999999')
					.stroke();
				doc.moveDown(0.5);
				break;
			case 'space':
				break;
			default:
				this.writeRuns(
					[{ text: decodeEntities(token.raw), font: FONTS.body }],
					box,
					BODY_SIZE_PT,
					color
				);
				doc.moveDown(0.4);
		}
	}

	private code(text: string, box: Box) {
		const doc = this.doc;
		const body = printable(text);
		doc.font(FONTS.mono).fontSize(CODE_SIZE_PT);
		const inner = box.width - 2 * CELL_PADDING_PT;
		const height = doc.heightOfString(body, { width: inner }) + 2 * CELL_PADDING_PT;
		const bottom = doc.page.height - doc.page.margins.bottom;
		if (doc.y + height > bottom && height < bottom - doc.page.margins.top) doc.addPage();
		if (doc.y + height <= bottom) doc.rect(box.x, doc.y, box.width, height).fill(CODE_BACKGROUND);
		doc
			.fillColor('black')
			.text(body, box.x + CELL_PADDING_PT, doc.y + CELL_PADDING_PT, { width: inner });
		doc.y += CELL_PADDING_PT;
		doc.moveDown(0.5);
	}

	private list(list: Tokens.List, box: Box, color: string) {
		const doc = this.doc;
		const start = typeof list.start === 'number' ? list.start : 1;
		const inner = { x: box.x + LIST_INDENT_PT, width: box.width - LIST_INDENT_PT };
		list.items.forEach((item, i) => {
			const marker = list.ordered
				? `${start + i}.`
				: item.task
					? item.checked
						? '[x]'
						: '[ ]'
					: '•';
			const y = doc.y;
			doc
				.font(FONTS.body)
				.fontSize(BODY_SIZE_PT)
				.fillColor(color)
				.text(marker, box.x, y, { width: LIST_INDENT_PT, lineBreak: false });
			doc.y = y;
			this.blocks(item.tokens, inner, color);
		});
		doc.moveDown(0.4);
	}

	private table(table: Tokens.Table, box: Box) {
		const doc = this.doc;
		const columns = Math.max(table.header.length, 1);
		const cellWidth = box.width / columns;
		const rows = [table.header, ...table.rows];
		doc.fontSize(CODE_SIZE_PT + 0.5);
		for (const [r, row] of rows.entries()) {
			const font = r === 0 ? FONTS.bold : FONTS.body;
			const texts = row.map((cell) =>
				printable(
					inlineRuns(cell.tokens)
						.map((run) => run.text)
						.join('')
				)
			);
			doc.font(font);
			const height =
				Math.max(
					...texts.map((t) => doc.heightOfString(t, { width: cellWidth - 2 * CELL_PADDING_PT })),
					0
				) +
				2 * CELL_PADDING_PT;
			if (doc.y + height > doc.page.height - doc.page.margins.bottom) doc.addPage();
			const top = doc.y;
			texts.forEach((text, c) => {
				const x = box.x + c * cellWidth;
				doc.rect(x, top, cellWidth, height).strokeColor('#999999').stroke();
				doc
					.font(font)
					.fillColor('black')
					.text(text, x + CELL_PADDING_PT, top + CELL_PADDING_PT, {
						width: cellWidth - 2 * CELL_PADDING_PT,
						align: row[c]?.align ?? 'left'
					});
			});
			doc.x = box.x;
			doc.y = top + height;
		}
		doc.moveDown(0.6);
	}
}
