// A stand-in for the Hugging Face hub on 127.0.0.1: `HEAD|GET /{owner}/{repo}/resolve/main/{file}`
// answers 302 to a CDN path with `X-Linked-Size` and `X-Linked-Etag` (the SHA-256) as the hub
// does; the CDN path serves the bytes with Range support. Faults on demand: a connection dropped
// after N bytes, a connection that stalls, bytes that differ from what was published.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { listenLocal } from './ports';

export interface HubFileSpec {
	/** What the CDN serves. */
	bytes: Buffer;
	/** What the hub publishes (defaults: the served bytes' size and SHA-256; null: not published). */
	publishedSize?: number;
	publishedSha256?: string | null;
	/**
	 * The first `times` GETs end the connection after this many bytes (once `when` resolves, e.g.
	 * when the client has them on disk: a client may drop what it had not read yet).
	 */
	dropAfter?: { bytes: number; times: number; when?: (sent: number) => Promise<unknown> };
	/** GETs send this many bytes, then hang until the client goes away. */
	stallAfter?: number;
	/** GETs send this many bytes, then the rest once `release()` is called. */
	holdAfter?: number;
	/** Where the resolve URL redirects (default: this server's /cdn/ path). */
	redirectTo?: string;
}

export interface ModelHub {
	url: string;
	/** The Range header of each CDN GET, in order (null: none). */
	ranges: (string | null)[];
	files: Map<string, HubFileSpec>;
	/** Lets held GETs (holdAfter) send the rest. */
	release(): void;
	close(): Promise<void>;
}

export const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function startModelHub(files: Record<string, HubFileSpec>): Promise<ModelHub> {
	const specs = new Map(Object.entries(files));
	const ranges: (string | null)[] = [];
	let release!: () => void;
	const released = new Promise<void>((resolve) => (release = resolve));
	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://hub');
		const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/([^/]+)$/.exec(url.pathname);
		if (resolve) {
			const key = `${resolve[1]}/${decodeURIComponent(resolve[2]!)}`;
			const spec = specs.get(key);
			if (!spec) return res.writeHead(404).end('Entry not found');
			const sha = spec.publishedSha256 === undefined ? sha256Hex(spec.bytes) : spec.publishedSha256;
			res.writeHead(302, {
				location: spec.redirectTo ?? `/cdn/${encodeURIComponent(key)}`,
				'x-linked-size': String(spec.publishedSize ?? spec.bytes.length),
				...(sha ? { 'x-linked-etag': `"${sha}"` } : {})
			});
			return res.end();
		}
		const cdn = /^\/cdn\/(.+)$/.exec(url.pathname);
		const spec = cdn && specs.get(decodeURIComponent(cdn[1]!));
		if (!spec) return res.writeHead(404).end();
		if (req.method !== 'GET')
			return res.writeHead(200, { 'content-length': spec.bytes.length }).end();
		ranges.push(req.headers.range ?? null);
		const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
		const from = match ? Number(match[1]) : 0;
		const total = spec.bytes.length;
		if (from >= total && match) {
			res.writeHead(416, { 'content-range': `bytes */${total}` });
			return res.end();
		}
		const body = spec.bytes.subarray(from);
		res.writeHead(match ? 206 : 200, {
			'content-length': body.length,
			'accept-ranges': 'bytes',
			...(match ? { 'content-range': `bytes ${from}-${total - 1}/${total}` } : {})
		});
		if (spec.dropAfter && spec.dropAfter.times > 0) {
			spec.dropAfter.times--;
			const { bytes, when } = spec.dropAfter;
			res.write(body.subarray(0, bytes));
			void Promise.resolve(when?.(from + bytes)).finally(() => res.destroy());
			return;
		}
		if (spec.holdAfter !== undefined) {
			res.write(body.subarray(0, spec.holdAfter));
			void released.then(() => res.end(body.subarray(spec.holdAfter)));
			return;
		}
		if (spec.stallAfter !== undefined) {
			res.write(body.subarray(0, spec.stallAfter));
			return; // hangs until the client closes
		}
		res.end(body);
	});
	const url = await listenLocal(server);
	return {
		url,
		ranges,
		files: specs,
		release,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}
