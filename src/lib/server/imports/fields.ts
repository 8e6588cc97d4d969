// Small readers for untrusted export JSON: every field may be missing or of the wrong type.

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj =>
	typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
export const num = (v: unknown): number | null =>
	typeof v === 'number' && Number.isFinite(v) ? v : null;
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const idOf = (v: unknown): string | null =>
	typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;

/** Epoch time in seconds, milliseconds, micro- or nanoseconds (apps differ), or an ISO date → ms. */
export function toMs(v: unknown): number | null {
	if (typeof v === 'string') {
		const parsed = Date.parse(v);
		return Number.isFinite(parsed) ? parsed : null;
	}
	const n = num(v);
	if (n === null || n <= 0) return null;
	if (n > 1e17) return Math.round(n / 1e6);
	if (n > 1e14) return Math.round(n / 1e3);
	if (n > 1e11) return Math.round(n);
	return Math.round(n * 1000);
}

/** A web link safe to render: http(s) only. */
export function safeUrl(v: unknown): string | null {
	const s = str(v);
	if (!s) return null;
	try {
		const url = new URL(s);
		return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
	} catch {
		return null;
	}
}

/** Markdown link text with the characters that would end it escaped. */
export const linkText = (s: string) =>
	s
		.replace(/[[\]\\]/g, '\\$&')
		.replace(/\s+/g, ' ')
		.trim();
