// The JavaScript a page makes the browser load before anything lazy: its `link` header
// modulepreloads plus the `import("…")` entries in its HTML, each counted at its gzipped size as
// served from build/client. Shared by the offline benchmark and the bundle budget test.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** The budget for a chat page's initial JS (gzipped). */
export const INITIAL_JS_BUDGET_KB = 100;

export interface InitialJs {
	files: string[];
	gzipKb: number;
}

/** Sums the gzipped size of the JS a page (at `pagePath`) preloads and imports up front. */
export function measureInitialJs(html: string, linkHeader: string, pagePath = '/'): InitialJs {
	const urls = new Set<string>();
	for (const m of linkHeader.matchAll(/<([^>]+\.js)>;\s*rel="modulepreload"/g)) urls.add(m[1]!);
	for (const m of html.matchAll(/import\("([^"]+\.js)"\)/g)) urls.add(m[1]!);
	let bytes = 0;
	for (const url of urls) {
		const file = path.join(
			'build/client',
			new URL(url, new URL(pagePath, 'http://hearth.local/')).pathname
		);
		const gz = `${file}.gz`;
		bytes += fs.existsSync(gz) ? fs.statSync(gz).size : zlib.gzipSync(fs.readFileSync(file)).length;
	}
	return { files: [...urls], gzipKb: bytes / 1024 };
}

/** Fetches `pathname` with the given cookie and measures what it preloads. */
export async function fetchInitialJs(
	baseUrl: string,
	pathname: string,
	cookie: string
): Promise<InitialJs> {
	const res = await fetch(`${baseUrl}${pathname}`, { headers: { cookie } });
	if (!res.ok) throw new Error(`GET ${pathname}: ${res.status}`);
	return measureInitialJs(await res.text(), res.headers.get('link') ?? '', pathname);
}
