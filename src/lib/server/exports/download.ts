// Headers for a file the browser saves rather than shows: attachment, never sniffed, never cached.

/** RFC 5987 encoding for `filename*` (encodeURIComponent leaves a few characters it forbids). */
function encodeRfc5987(value: string): string {
	return encodeURIComponent(value).replace(
		/['()*]/g,
		(c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
	);
}

/** `filename` must already be safe ASCII (services/exports.ts `safeFilename`). */
export function downloadHeaders(filename: string, contentType: string): Record<string, string> {
	return {
		'content-type': contentType,
		'content-disposition': `attachment; filename="${filename}"; filename*=UTF-8''${encodeRfc5987(filename)}`,
		'x-content-type-options': 'nosniff',
		'cache-control': 'private, no-store',
		'content-security-policy': "default-src 'none'; sandbox"
	};
}
