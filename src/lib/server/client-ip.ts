import { isIP } from 'node:net';
import type { RequestEvent } from '@sveltejs/kit';
import { internalAddressKind } from '$lib/server/net/ip';

/** Where a proxy in front of Hearth can be: this host, or the private network (compose, LAN). */
const PROXY_PEER_KINDS = new Set([
	'loopback',
	'private',
	'unique local',
	'link-local',
	'carrier-grade NAT'
]);

function peerAddress(event: RequestEvent): string | null {
	try {
		return event.getClientAddress();
	} catch {
		return null;
	}
}

/**
 * X-Forwarded-For is a list each hop appends to: the client writes whatever it likes on the left,
 * so only the right-most entry (added by our proxy) is trusted. Single-value headers are whole.
 */
function trustedValue(header: string | null, name: string): string | undefined {
	if (header === null) return undefined;
	return name === 'x-forwarded-for' ? header.split(',').at(-1)?.trim() : header.trim();
}

/**
 * The client's IP: from TRUST_PROXY_HEADER when configured (the tunnel/proxy sets it and
 * overwrites whatever the client sent) and the connection comes from where a proxy can be (this
 * host or a private network); otherwise the socket's peer. A public peer's header is a forgery.
 * Other headers (X-Forwarded-For and friends, unless configured) are ignored.
 */
export function clientIp(event: RequestEvent, trustProxyHeader: string | null): string {
	const peer = peerAddress(event);
	if (trustProxyHeader && (peer === null || isProxyPeer(peer))) {
		const value = trustedValue(event.request.headers.get(trustProxyHeader), trustProxyHeader);
		if (value && isIP(value)) return value;
	}
	return peer ?? 'unknown';
}

export function isProxyPeer(address: string): boolean {
	const kind = internalAddressKind(address.replace(/^::ffff:(?=\d+\.)/i, ''));
	return kind !== null && PROXY_PEER_KINDS.has(kind);
}
