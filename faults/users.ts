// Many signed-in users for the fault cases, each behind its own client address (the server is
// started with TRUST_PROXY_HEADER=x-real-ip, as behind the tunnel) so the per-IP rate limit sees
// people, not the one loopback address. Every answer is counted in one `Traffic`: 5xx and network
// errors, and the latency of the calls that do not wait on the model.
import { addUser, signIn, type ApiClient, type HearthServer } from '../tests/support/hearth-server';

/** The header the server is told to trust for the client's address. */
export const CLIENT_IP_HEADER = 'x-real-ip';

export interface Traffic {
	/** Answers with a 5xx status. */
	serverErrors: number;
	/** Requests that got no answer at all (reset, refused), apart from our own aborts. */
	networkErrors: number;
	/** 4xx answers by status, e.g. { 429: 2 } (expected ones are not errors, but are reported). */
	clientErrors: Record<number, number>;
	/** Milliseconds per non-model call kind, e.g. { search: [12, 30] }. */
	latencies: Record<string, number[]>;
	/** A few examples of what went wrong, for the notes and the failure message. */
	samples: string[];
}

const MAX_SAMPLES = 10;

export function newTraffic(): Traffic {
	return { serverErrors: 0, networkErrors: 0, clientErrors: {}, latencies: {}, samples: [] };
}

function note(traffic: Traffic, what: string) {
	if (traffic.samples.length < MAX_SAMPLES) traffic.samples.push(what);
}

/** The p-th percentile (0–100) of some figures, or null when there are none. */
export function percentile(values: number[], p: number): number | null {
	if (values.length === 0) return null;
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * A user added with the CLI and signed in from `ip`: the same shape as tests/support's ApiClient
 * (so `audit` can read back with it), every call counted in `traffic`.
 */
export async function signInFrom(
	server: HearthServer,
	username: string,
	ip: string,
	traffic: Traffic
): Promise<ApiClient> {
	const password = `${username}-password`;
	addUser(server, username, password);
	return signInCounted(server, username, password, ip, traffic);
}

/** Signs in an existing user from `ip`, every call counted in `traffic`. */
export async function signInCounted(
	server: HearthServer,
	username: string,
	password: string,
	ip: string,
	traffic: Traffic
): Promise<ApiClient> {
	const counted: typeof fetch = async (input, init) => {
		const what = `${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`;
		try {
			const res = await fetch(input, init);
			if (res.status >= 500) {
				traffic.serverErrors += 1;
				note(traffic, `${what}: ${res.status}`);
			} else if (res.status >= 400) {
				traffic.clientErrors[res.status] = (traffic.clientErrors[res.status] ?? 0) + 1;
			}
			return res;
		} catch (error) {
			if (!init?.signal?.aborted) {
				traffic.networkErrors += 1;
				note(traffic, `${what}: ${String(error)}`);
			}
			throw error;
		}
	};
	return signIn(server, username, password, {
		headers: { [CLIENT_IP_HEADER]: ip },
		fetch: counted
	});
}

/** Runs a call that does not wait on the model and keeps its latency under `kind`. */
export async function timed<T>(traffic: Traffic, kind: string, run: () => Promise<T>): Promise<T> {
	const started = performance.now();
	try {
		return await run();
	} finally {
		(traffic.latencies[kind] ??= []).push(performance.now() - started);
	}
}
