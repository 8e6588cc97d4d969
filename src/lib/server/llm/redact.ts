// Upstream error text is hostile: a provider (or anything at its URL) can echo the request's
// Authorization header back. Before such text is stored, logged or shown it loses the configured
// key and anything shaped like a credential. Over-redacting an error message costs nothing.
const REDACTED = '[redacted]';
/** A configured key shorter than this is not searched for (it would blank ordinary words). */
const MIN_SECRET_CHARS = 8;

const KEY_SHAPES: [RegExp, string][] = [
	// Authorization schemes: Bearer sk-…, Basic dXNlcjpwYXNz, Token abc…
	[/\b(Bearer|Basic|Token)(\s+)[^\s"',;]{4,}/gi, `$1$2${REDACTED}`],
	// Well-known key prefixes: OpenAI / Anthropic (sk-, sk-ant-), Hearth (hth_), GitHub, Slack, AWS.
	[/\b(?:sk-ant-|sk-|hth_|gh[pousr]_|xox[abpr]-|AKIA)[A-Za-z0-9_-]{4,}/g, REDACTED],
	// name=value and "name": "value" pairs whose name says secret.
	[
		/\b((?:x-)?(?:api[_-]?key|apikey|key|token|access[_-]?token|secret|password|passwd|auth|authorization|credential)s?["']?\s*[=:]\s*["']?)(?!\[redacted\])[^\s"'&,;}]{4,}/gi,
		`$1${REDACTED}`
	],
	// Long hex (digests, raw keys) and long base64-ish runs with mixed case and digits.
	[/\b[0-9a-fA-F]{32,}\b/g, REDACTED],
	[
		/(?=[A-Za-z0-9+/_-]*\d)(?=[A-Za-z0-9+/_-]*[a-z])(?=[A-Za-z0-9+/_-]*[A-Z])[A-Za-z0-9+/_-]{32,}={0,2}/g,
		REDACTED
	]
];

/** `text` without the given secrets (each also URL-encoded) and without key-shaped strings. */
export function redactSecrets(text: string, secrets: (string | null | undefined)[] = []): string {
	let out = text;
	for (const secret of secrets) {
		if (!secret || secret.length < MIN_SECRET_CHARS) continue;
		for (const form of new Set([secret, encodeURIComponent(secret)]))
			out = out.split(form).join(REDACTED);
	}
	for (const [pattern, replacement] of KEY_SHAPES) out = out.replace(pattern, replacement);
	return out;
}
