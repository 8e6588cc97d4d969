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
		['64:ff9b::10.0.0.1', 'private'],
		['64:ff9b::127.0.0.1', 'loopback'],
		['64:ff9b::169.254.169.254', 'link-local'],
		['::ffff:0:10.0.0.1', 'private'],
		['::ffff:0:127.0.0.1', 'loopback'],
		['::ffff:0:a9fe:a9fe', 'link-local'],
		['::ffff:0:8.8.8.8', 'IPv4-translated'],
		['64:ff9b:1::a00:1', 'NAT64 local-use'],
		['64:ff9b:1:2::8.8.8.8', 'NAT64 local-use'],
		['64:ff9b:2::808:808', 'reserved'],
		['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
		['2001::1', 'Teredo'],
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
		'64:ff9b::8.8.8.8',
		'2001:4860:4860::8888',
		'2002:0808:0808::'
	])('%s is public', (ip) => {
		expect(internalAddressKind(ip)).toBeNull();
	});
});
