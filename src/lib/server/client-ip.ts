import { isIP } from 'node:net';
import type { RequestEvent } from '@sveltejs/kit';

/**
 * The client's IP: from TRUST_PROXY_HEADER when configured (the tunnel/proxy sets it and
 * overwrites whatever the client sent), otherwise the socket's peer. Other headers are ignored.
 */
export function clientIp(event: RequestEvent, trustProxyHeader: string | null): string {
	if (trustProxyHeader) {
		const value = event.request.headers.get(trustProxyHeader)?.split(',')[0]?.trim();
		if (value && isIP(value)) return value;
	}
	try {
		return event.getClientAddress();
	} catch {
		return 'unknown';
	}
}
