// Search terms and highlighted snippets, shared by the server's full-text search and the
// device's offline search so both read the query the same way and mark hits the same way.
import type { SnippetPartDto } from '$lib/shared/dto';

export const MAX_SEARCH_TERMS = 12;
export const MAX_SEARCH_CHARS = 200;
/** Marks around a hit while a snippet is being cut (control characters, never shown). */
export const HIT_START = '\u0002';
export const HIT_END = '\u0003';

/** The words of a query: letters and digits only, so no query syntax ever reaches a database. */
export function searchTerms(query: string): string[] {
	return (
		query
			.slice(0, MAX_SEARCH_CHARS)
			.toLowerCase()
			.match(/[\p{L}\p{N}_]+/gu) ?? []
	).slice(0, MAX_SEARCH_TERMS);
}

/** Splits a marked snippet into plain and hit parts (rendered as text, never as HTML). */
export function snippetParts(marked: string): SnippetPartDto[] {
	const parts: SnippetPartDto[] = [];
	for (const piece of marked.split(HIT_START)) {
		const end = piece.indexOf(HIT_END);
		if (end >= 0) {
			parts.push({ text: piece.slice(0, end), hit: true });
			if (end + 1 < piece.length) parts.push({ text: piece.slice(end + 1), hit: false });
		} else if (piece) parts.push({ text: piece, hit: false });
	}
	return parts.filter((p) => p.text);
}

/** bm25's term-frequency saturation and length weight, with a fixed reference length. */
const RANK_K1 = 1.2;
const RANK_B = 0.75;
/**
 * The message length (in words) that counts as ordinary. bm25 would use the average over the
 * whole index, which every user's messages feed; a constant keeps one user's ranking their own.
 */
const RANK_REFERENCE_WORDS = 100;

/** Lower case without diacritics, as the full-text index reads words. */
function foldText(text: string): string {
	return text.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
}

/**
 * How much `text` is about `terms` (higher is better): bm25's per-message part — repeated terms
 * count with diminishing returns, long messages are discounted — computed from the message alone.
 */
export function rankText(text: string, terms: string[]): number {
	const words = foldText(text).match(/[\p{L}\p{N}_]+/gu) ?? [];
	const lengthNorm = 1 - RANK_B + (RANK_B * words.length) / RANK_REFERENCE_WORDS;
	let score = 0;
	for (const [i, raw] of terms.entries()) {
		const term = foldText(raw);
		const prefix = i === terms.length - 1 && term.length > 1;
		const tf = words.filter((w) => (prefix ? w.startsWith(term) : w === term)).length;
		score += (tf * (RANK_K1 + 1)) / (tf + RANK_K1 * lengthNorm);
	}
	return score;
}

const SNIPPET_RADIUS_CHARS = 60;

/**
 * Markdown as the words a reader sees: no fences, emphasis, headings, quote or list markers,
 * link targets or table pipes. Snippets are shown as plain text, so the syntax would be noise.
 */
export function plainText(markdown: string): string {
	return markdown
		.replace(/^\s*(```|~~~).*$/gm, '')
		.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
		.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
		.replace(/<\/?[a-z][^>]*>/gi, '')
		.replace(/^\s{0,3}#{1,6}\s+/gm, '')
		.replace(/^\s*(>\s?)+/gm, '')
		.replace(/^\s*([-*+]|\d+[.)])\s+(\[[ xX]\]\s+)?/gm, '')
		.replace(/^\s*([-*_]\s*){3,}$/gm, '')
		.replace(/^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$/gm, '')
		.replace(/\s*\|\s*/g, ' ')
		.replace(/(\*\*|__|~~)(?=\S)([\s\S]*?\S)\1/g, '$2')
		.replace(/(^|[^\p{L}\p{N}*_])([*_])(?=\S)([^*_\n]*?\S)\2(?![\p{L}\p{N}])/gu, '$1$3')
		.replace(/`+([^`]*)`+/g, '$1')
		.replace(/\\([\\`*_{}[\]()#+\-.!|>~])/g, '$1');
}

/** A snippet around the first hit of `terms` in `text` (prefix matches, like the server). */
export function makeSnippet(markdown: string, terms: string[]): SnippetPartDto[] | null {
	const text = plainText(markdown);
	const lower = text.toLowerCase();
	const at = Math.min(...terms.map((t) => lower.indexOf(t)).filter((i) => i >= 0));
	if (!Number.isFinite(at)) return null;
	const start = Math.max(0, at - SNIPPET_RADIUS_CHARS);
	const end = Math.min(text.length, at + SNIPPET_RADIUS_CHARS * 2);
	const window = text.slice(start, end).replace(/\s+/g, ' ');
	const pattern = new RegExp(`(${terms.map(escapeRegExp).join('|')})[\\p{L}\\p{N}_]*`, 'giu');
	const marked = window.replace(pattern, (m) => `${HIT_START}${m}${HIT_END}`);
	return [
		...(start > 0 ? [{ text: '…', hit: false }] : []),
		...snippetParts(marked),
		...(end < text.length ? [{ text: '…', hit: false }] : [])
	];
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
