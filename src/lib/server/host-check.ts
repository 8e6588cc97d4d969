// DNS rebinding guard for installs without ORIGIN: a page on a foreign name that resolves to this
// machine must not reach /setup or the API, so the Host header must name this machine (loopback,
// one of its own addresses or its host name) or be listed in ALLOWED_HOSTS.
import os from 'node:os';
import { isIP } from 'node:net';
import { internalAddressKind } from '$lib/server/net/ip';

/** The machine's own addresses and names, as URL hostnames (IPv6 in brackets, lower case). */
export function ownHostnames(): string[] {
	const names = [os.hostname().toLowerCase()];
	names.push(`${names[0]}.local`);
	for (const list of Object.values(os.networkInterfaces())) {
		for (const { address, family } of list ?? []) {
			const bare = address.replace(/%.*$/, ''); // a link-local zone is no part of a Host
			names.push(new URL(`http://${family === 'IPv6' ? `[${bare}]` : bare}`).hostname);
		}
	}
	return names;
}

/** `hostname` as in `URL.hostname`; `allowed` as in config.allowedHosts. */
export function isAllowedHost(
	hostname: string,
	allowed: readonly string[],
	own: () => string[] = ownHostnames
): boolean {
	const name = hostname.toLowerCase().replace(/\.$/, '');
	if (allowed.includes(name)) return true;
	if (name === 'localhost' || name.endsWith('.localhost')) return true;
	const address = name.replace(/^\[|\]$/g, '');
	if (isIP(address) && internalAddressKind(address) === 'loopback') return true;
	return own().includes(name);
}
