import { describe, expect, it } from 'vitest';
import { internalAddressKind } from '$lib/server/net/ip';

describe('internalAddressKind', () => {
	it.each([
		['127.0.0.1', 'loopback'],
		['127.8.9.10', 'loopback'],
		['0.0.0.0', 'this network'],
		['10.1.2.3', 'private'],
		['172.16.0.1', 'private'],
		['172.31.255.255', 'private'],
		['192.168.1.1', 'private'],
		['169.254.169.254', 'link-local'],
		['100.64.0.1', 'carrier-grade NAT'],
		['224.0.0.1', 'multicast'],
		['255.255.255.255', 'broadcast'],
		['::1', 'loopback'],
		['[::1]', 'loopback'],
		['::', 'unspecified'],
		['::ffff:127.0.0.1', 'loopback'],
		['::ffff:7f00:1', 'loopback'],
		['::ffff:169.254.169.254', 'link-local'],
		['::127.0.0.1', 'loopback'],
		['64:ff9b::a00:1', 'private'],
		['2002:7f00:1::', 'loopback'],
		['fd00::1', 'unique local'],
		['fe80::1%eth0', 'link-local'],
		['ff02::1', 'multicast'],
		['not-an-ip', 'not an IP address']
	])('%s is internal (%s)', (ip, kind) => {
		expect(internalAddressKind(ip)).toBe(kind);
	});

	it.each([
		'1.1.1.1',
		'8.8.8.8',
		'172.32.0.1',
		'2606:4700:4700::1111',
		'::ffff:8.8.8.8',
		'2002:0808:0808::'
	])('%s is public', (ip) => {
		expect(internalAddressKind(ip)).toBeNull();
	});
});
