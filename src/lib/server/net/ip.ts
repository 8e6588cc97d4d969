// Classifies IP addresses for the outbound guard: anything that is not a public unicast address
// (loopback, private, link-local incl. cloud metadata, CGNAT, multicast, reserved, and IPv6 forms
// that embed an IPv4 address) is "internal".
import { isIP } from 'node:net';

type Range = readonly [prefix: number[], bits: number, label: string];

const V4_INTERNAL: Range[] = [
	[[0, 0, 0, 0], 8, 'this network'],
	[[10, 0, 0, 0], 8, 'private'],
	[[100, 64, 0, 0], 10, 'carrier-grade NAT'],
	[[127, 0, 0, 0], 8, 'loopback'],
	[[169, 254, 0, 0], 16, 'link-local'],
	[[172, 16, 0, 0], 12, 'private'],
	[[192, 0, 0, 0], 24, 'IETF protocol'],
	[[192, 0, 2, 0], 24, 'documentation'],
	[[192, 168, 0, 0], 16, 'private'],
	[[198, 18, 0, 0], 15, 'benchmarking'],
	[[198, 51, 100, 0], 24, 'documentation'],
	[[203, 0, 113, 0], 24, 'documentation'],
	[[224, 0, 0, 0], 4, 'multicast'],
	[[240, 0, 0, 0], 4, 'reserved']
];

function matches(bytes: number[], prefix: number[], bits: number): boolean {
	for (let i = 0; i < prefix.length && bits > 0; i++, bits -= 8) {
		const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
		if ((bytes[i]! & mask) !== (prefix[i]! & mask)) return false;
	}
	return true;
}

function v4Bytes(ip: string): number[] {
	return ip.split('.').map(Number);
}

function v6Bytes(ip: string): number[] {
	let text = ip.toLowerCase().replace(/%.*$/, '');
	const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
	if (dotted) {
		const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
		text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
	}
	const parts = text.split('::');
	if (parts.length > 2) return [];
	const parse = (s: string | undefined) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
	const head = parse(parts[0]);
	const tail = parse(parts[1]);
	const groups =
		parts.length === 2
			? [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
			: head;
	if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return [];
	return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** null for a public unicast address; otherwise why it is internal. */
export function internalAddressKind(ip: string): string | null {
	const family = isIP(ip.replace(/^\[|\]$/g, ''));
	const address = ip.replace(/^\[|\]$/g, '');
	if (family === 4) {
		const bytes = v4Bytes(address);
		if (bytes.every((b) => b === 255)) return 'broadcast';
		for (const [prefix, bits, label] of V4_INTERNAL) if (matches(bytes, prefix, bits)) return label;
		return null;
	}
	if (family !== 6) return 'not an IP address';
	const b = v6Bytes(address);
	if (b.length !== 16) return 'malformed IPv6';
	const embedded = (from: number) => internalAddressKind(b.slice(from, from + 4).join('.'));
	const zeros = (n: number) => b.slice(0, n).every((x) => x === 0);
	if (zeros(16)) return 'unspecified';
	if (zeros(15) && b[15] === 1) return 'loopback';
	if (zeros(10) && b[10] === 0xff && b[11] === 0xff) return embedded(12) ?? null; // ::ffff:a.b.c.d
	if (zeros(12)) return embedded(12) ?? 'IPv4-compatible'; // ::a.b.c.d (deprecated)
	if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) return embedded(12) ?? null; // NAT64
	if (b[0] === 0x20 && b[1] === 0x02) return embedded(2) ?? null; // 6to4
	if ((b[0]! & 0xfe) === 0xfc) return 'unique local';
	if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local';
	if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'site-local';
	if (b[0] === 0xff) return 'multicast';
	if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'documentation';
	return null;
}

/**
 * The unit a client's password attempts are counted by: an IPv4 address, or the /64 an IPv6
 * host is given (one subscriber can rotate through all of it). IPv4-mapped IPv6 is its IPv4.
 */
export function clientNetwork(ip: string): string {
	const address = ip.replace(/^\[|\]$/g, '');
	if (isIP(address.replace(/%.*$/, '')) !== 6) return address;
	const b = v6Bytes(address);
	if (b.length !== 16) return address;
	if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
		return b.slice(12).join('.');
	}
	const groups = [0, 2, 4, 6].map((i) => ((b[i]! << 8) | b[i + 1]!).toString(16));
	return `${groups.join(':')}::/64`;
}
