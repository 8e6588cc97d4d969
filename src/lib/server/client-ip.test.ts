import { describe, expect, it } from 'vitest';
import type { RequestEvent } from '@sveltejs/kit';
import { clientIp, isProxyPeer } from '$lib/server/client-ip';

const event = (peer: string, headers: Record<string, string>) =>
	({
		request: new Request('http://x/', { headers }),
		getClientAddress: () => peer
	}) as unknown as RequestEvent;

describe('clientIp', () => {
	const spoofed = { 'cf-connecting-ip': '198.51.100.7', 'x-forwarded-for': '192.0.2.1' };

	it('takes the trusted header from a proxy on this host or the private network', () => {
		for (const peer of [
			'127.0.0.1',
			'::1',
			'172.18.0.5',
			'10.1.2.3',
			'192.168.1.9',
			'::ffff:172.18.0.5',
			'fd00::5'
		])
			expect(clientIp(event(peer, spoofed), 'CF-Connecting-IP'), peer).toBe('198.51.100.7');
	});

	it('ignores the header from a public peer (a direct connection), and every untrusted header', () => {
		expect(clientIp(event('203.0.114.20', spoofed), 'CF-Connecting-IP')).toBe('203.0.114.20');
		expect(clientIp(event('2a01:4f8::1', spoofed), 'CF-Connecting-IP')).toBe('2a01:4f8::1');
		expect(clientIp(event('127.0.0.1', spoofed), null)).toBe('127.0.0.1');
		expect(clientIp(event('127.0.0.1', spoofed), 'X-Real-IP')).toBe('127.0.0.1');
		expect(clientIp(event('127.0.0.1', { 'x-real-ip': 'not-an-ip' }), 'X-Real-IP')).toBe(
			'127.0.0.1'
		);
	});

	it('takes the right-most X-Forwarded-For address (the proxy appends it), not the client-written left', () => {
		const forwarded = { 'x-forwarded-for': '10.9.9.9, 192.0.2.66, 198.51.100.7' };
		expect(clientIp(event('127.0.0.1', forwarded), 'x-forwarded-for')).toBe('198.51.100.7');
		expect(
			clientIp(event('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' }), 'x-forwarded-for')
		).toBe('198.51.100.7');
		expect(
			clientIp(event('127.0.0.1', { 'x-forwarded-for': '192.0.2.66, junk' }), 'x-forwarded-for')
		).toBe('127.0.0.1');
		// A single-value header is taken whole: a list there is not an address.
		expect(
			clientIp(
				event('127.0.0.1', { 'cf-connecting-ip': '192.0.2.66, 198.51.100.7' }),
				'cf-connecting-ip'
			)
		).toBe('127.0.0.1');
	});

	it('knows where proxies can be', () => {
		expect(isProxyPeer('127.0.0.1')).toBe(true);
		expect(isProxyPeer('8.8.8.8')).toBe(false);
		expect(isProxyPeer('169.254.169.254')).toBe(true);
		expect(isProxyPeer('224.0.0.1')).toBe(false);
	});
});
