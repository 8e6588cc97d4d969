// Headers for serving an attachment back to its owner: saved (or shown in an <img>), never
// sniffed into something else, never run, cached privately (the bytes of an id never change).

function encodeRfc5987(value: string): string {
	return encodeURIComponent(value).replace(
		/['()*]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
	);
}

export function attachmentHeaders(
	name: string,
	type: string,
	size: number
): Record<string, string> {
	const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
	return {
		'content-type': type.startsWith('text/') ? `${type}; charset=utf-8` : type,
		'content-length': String(size),
		'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(name)}`,
		'x-content-type-options': 'nosniff',
		'content-security-policy': "default-src 'none'; sandbox",
		'cache-control': 'private, max-age=31536000, immutable'
	};
}
