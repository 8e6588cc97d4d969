// The Hugging Face hub as a model source: `{HF_ENDPOINT}/{repo}/resolve/main/{file}`, asked with
// HEAD and without following redirects (as huggingface_hub does), because the hub publishes the
// file's size and SHA-256 on its own redirect (`X-Linked-Size`, `X-Linked-Etag`) and not on the
// CDN's answer. Redirects within the configured origin are followed here; the first one elsewhere
// (the CDN) must be https, and is where the bytes are fetched from, through the guarded fetch.
import type { GuardedFetch } from '$lib/server/net/guarded-fetch';

export interface HubFile {
	/** Where to GET the bytes (the CDN, or the hub itself for small files). */
	url: string;
	size: number | null;
	sha256: string | null;
}

export type HubResult = { ok: true; file: HubFile } | { ok: false; message: string };

const MAX_HUB_HOPS = 5;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function hubFileUrl(endpoint: string, repo: string, file: string): string {
	const path = repo.split('/').map(encodeURIComponent).join('/');
	return `${endpoint}/${path}/resolve/main/${encodeURIComponent(file)}`;
}

function sha256Of(header: string | null): string | null {
	const value = header?.replace(/^W\//, '').replace(/"/g, '').toLowerCase() ?? null;
	return value && SHA256_HEX.test(value) ? value : null;
}

function sizeOf(header: string | null): number | null {
	return header && /^\d+$/.test(header) ? Number(header) : null;
}

export async function resolveHubFile(
	fetch: GuardedFetch,
	endpoint: string,
	repo: string,
	file: string,
	signal: AbortSignal
): Promise<HubResult> {
	const origin = new URL(endpoint).origin;
	let url = new URL(hubFileUrl(endpoint, repo, file));
	let size: number | null = null;
	let sha256: string | null = null;
	for (let hop = 0; hop < MAX_HUB_HOPS; hop++) {
		const res = await fetch(url, { method: 'HEAD', redirect: 'manual', signal });
		await res.body?.cancel();
		size ??= sizeOf(res.headers.get('x-linked-size'));
		sha256 ??= sha256Of(res.headers.get('x-linked-etag'));
		const location = res.headers.get('location');
		if (res.status >= 300 && res.status < 400 && location) {
			const next = new URL(location, url);
			if (next.origin === origin) {
				url = next;
				continue;
			}
			if (next.protocol !== 'https:')
				return { ok: false, message: `The hub redirected to ${next.origin}, which is not https` };
			return { ok: true, file: { url: next.href, size, sha256 } };
		}
		if (res.ok) {
			size ??= sizeOf(res.headers.get('content-length'));
			sha256 ??= sha256Of(res.headers.get('etag'));
			return { ok: true, file: { url: url.href, size, sha256 } };
		}
		if (res.status === 401 || res.status === 403 || res.status === 404)
			return {
				ok: false,
				message: `The hub has no file ${file} in ${repo} (or it needs a sign-in, which Hearth does not do)`
			};
		return { ok: false, message: `The hub answered ${res.status} for ${repo}/${file}` };
	}
	return { ok: false, message: 'The hub redirected too many times' };
}
