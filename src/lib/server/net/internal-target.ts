// Whether a URL an admin typed points inside the network (loopback, private, link-local, metadata),
// checked when it is saved so the reason shows on the form instead of failing at every request.
// The guarded fetch still checks every connection; this is the early, readable refusal.
import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import { internalAddressKind } from '$lib/server/net/ip';

const LOOKUP_TIMEOUT_MS = 3_000;

/** "127.0.0.1 is a loopback address"-style reason, or null (public, or the name does not resolve now). */
export async function internalTargetReason(url: URL): Promise<string | null> {
	const host = url.hostname.replace(/^\[|\]$/g, '');
	if (isIP(host)) {
		const kind = internalAddressKind(host);
		return kind ? `${host} is a ${kind} address` : null;
	}
	const addresses = await Promise.race([
		dns.lookup(host, { all: true }).catch(() => []),
		new Promise<[]>((resolve) => setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS).unref())
	]);
	const internal = addresses.find((a) => internalAddressKind(a.address) !== null);
	return internal
		? `${host} resolves to a ${internalAddressKind(internal.address)} address (${internal.address})`
		: null;
}
