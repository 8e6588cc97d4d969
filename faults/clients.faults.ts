// Issue 20, case 5: clients that hold connections open, clients that never read, and one address
// flooding the API. The server must keep every reply, stay within bounded memory, answer the
// flood with 429 and stay quick for everyone else.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLlamaServer, SLOW_MODEL, type LlamaServer } from '../tests/support/llama-server';
import {
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../tests/support/hearth-server';
import { newConversation } from '../tests/support/chat';
import { createDatabase } from '$lib/server/db/database';
import { addUser } from '$lib/server/services/accounts';
import { MAX_STREAMS_PER_USER } from '$lib/server/jobs/streams';
import { BUFFER_LIMIT_BYTES } from '$lib/server/jobs/sse';
import { audit, type Accepted } from './audit';
import { openFds, record, rssMb } from './table';
import { size } from './profile';
import { accepted, firstDelta, sendUnique, type SendOutcome } from './sends';
import { settle } from './replies';
import { CLIENT_IP_HEADER, percentile } from './users';

const PASSWORD = 'client-password-1';
const IDLE_STREAMS = size(200, 1_000);
const NEVER_READ = size(50, 200);
const IDLE_HOLD_MS = size(15_000, 60_000);
const SETTLE_MS = size(180_000, 600_000);
const BURST_PER_SECOND = 500;
const BURST_MS = size(3_000, 10_000);

/** Adds users straight into the server's SQLite file (the CLI would start a process per user). */
async function addUsers(server: HearthServer, prefix: string, n: number): Promise<string[]> {
	const db = await createDatabase({ kind: 'sqlite', path: path.join(server.dataDir, 'hearth.db') });
	try {
		const names: string[] = [];
		for (let i = 0; i < n; i++) {
			const username = `${prefix}${i}`;
			const added = await addUser(db, { username, password: PASSWORD, role: 'user' });
			if (!added.ok) throw new Error(added.message);
			names.push(username);
		}
		return names;
	} finally {
		await db.destroy();
	}
}

/** Signs a user in from the address numbered `n` (10.0.x.y), which all their requests then carry. */
function signInAt(server: HearthServer, username: string, n: number): Promise<ApiClient> {
	const address = `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`;
	return signIn(server, username, PASSWORD, { headers: { [CLIENT_IP_HEADER]: address } });
}

/** Sign-ins at once: the password hasher queues 66 and answers 503 busy past that. */
const SIGN_IN_BATCH = 32;

/** Signs everyone in, a batch at a time, each from an address of their own. */
async function signInAll(server: HearthServer, names: string[], first: number) {
	const clients: ApiClient[] = [];
	for (let i = 0; i < names.length; i += SIGN_IN_BATCH)
		clients.push(
			...(await Promise.all(
				names.slice(i, i + SIGN_IN_BATCH).map((n, j) => signInAt(server, n, first + i + j))
			))
		);
	return clients;
}

function mustSend(outcome: SendOutcome): SendOutcome & { sent: NonNullable<SendOutcome['sent']> } {
	if (!outcome.sent) throw new Error(`send refused: ${outcome.status} ${outcome.code}`);
	return outcome as SendOutcome & { sent: NonNullable<SendOutcome['sent']> };
}

describe('many connections: idle streams and clients that never read', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let blocker: ApiClient;

	beforeAll(async () => {
		// Two slots, both taken by the blocker's long replies while the idle streams are held.
		llama = await startLlamaServer({
			parallel: 2,
			contextSize: 4096,
			model: SLOW_MODEL,
			extraArgs: ['--ignore-eos']
		});
		hearth = await startHearth({
			LLAMA_URL: llama.url,
			// Each user signs in from an address of their own (as behind the tunnel): hundreds of
			// sign-ins from one address are what the sign-in throttle is for.
			TRUST_PROXY_HEADER: CLIENT_IP_HEADER,
			// Every poll comes from 127.0.0.1; keepalives and session re-checks every 2 s, not 15 s.
			// The model server is held stopped while idle streams are held: no idle watchdog then.
			HEARTH_TEST_TIMINGS: 'requestRefillMs=1,sseKeepaliveMs=2000,providerIdleTimeoutMs=600000'
		});
		await addUsers(hearth, 'blocker', 1);
		blocker = await signIn(hearth, 'blocker0', PASSWORD);
	}, 180_000);
	afterAll(async () => {
		await hearth?.stop();
		await llama?.stop();
	});

	test(`${IDLE_STREAMS} idle SSE connections held open`, async () => {
		const users = Math.ceil(IDLE_STREAMS / MAX_STREAMS_PER_USER);
		const names = await addUsers(hearth, 'idle', users);
		const clients = await signInAll(hearth, names, 0);
		// The blocker fills both slots, so every other reply waits, queued: its streams stay idle.
		const blocking = await Promise.all(
			[0, 1].map(async () => {
				const id = await newConversation(blocker);
				return { id, outcome: mustSend(await sendUnique(blocker, id, 'blocker', 100_000)) };
			})
		);
		// Once both stream, llama-server is stopped (SIGSTOP): they keep their slots for as long as
		// the streams are held, however fast this machine writes (a fast one ends a reply in 15 s).
		await Promise.all(blocking.map((b) => firstDelta(blocker, b.outcome.sent.job.id)));
		llama.process.kill('SIGSTOP');
		try {
			const queued = await Promise.all(
				clients.map(async (client) => {
					const id = await newConversation(client);
					return { client, id, outcome: mustSend(await sendUnique(client, id, 'idle', 8)) };
				})
			);
			const pid = hearth.process.pid!;
			const rssBefore = rssMb(pid);
			const fdsBefore = openFds(pid);
			const stop = new AbortController();
			const streams: { events: number; ended: boolean; failed: boolean }[] = [];
			const readers: Promise<void>[] = [];
			for (let i = 0; i < IDLE_STREAMS; i++) {
				const { client, outcome } = queued[Math.floor(i / MAX_STREAMS_PER_USER)]!;
				const state = { events: 0, ended: false, failed: false };
				streams.push(state);
				readers.push(
					client
						.events(outcome.sent.job.id, undefined, stop.signal)
						.then(async (events) => {
							for await (const event of events) {
								state.events += 1;
								if (event.event === 'done' || event.event === 'error') break;
							}
							state.ended = true;
						})
						.catch(() => {
							if (!stop.signal.aborted) state.failed = true;
						})
				);
			}
			// Meanwhile another user's ordinary requests: how quick are they with the streams open?
			const latencies: number[] = [];
			const statuses: number[] = [];
			const holdUntil = Date.now() + IDLE_HOLD_MS;
			while (Date.now() < holdUntil) {
				const started = performance.now();
				const res = await blocker.call('GET', '/api/conversations');
				await res.arrayBuffer();
				latencies.push(performance.now() - started);
				statuses.push(res.status);
				await new Promise((r) => setTimeout(r, 200));
			}
			const rssHeld = rssMb(pid);
			const fdsHeld = openFds(pid);
			const open = streams.filter((s) => !s.ended && !s.failed).length;
			const failed = streams.filter((s) => s.failed).length;
			stop.abort();
			await Promise.all(readers);
			// Let the queued replies run: the blocker's are cancelled (text kept).
			for (const b of blocking)
				await blocker.call('POST', `/api/jobs/${b.outcome.sent.job.id}/cancel`);
			llama.process.kill('SIGCONT');
			const list: Accepted[] = [
				...blocking.map((b) => accepted(blocker, b.id, b.outcome)),
				...queued.map((q) => accepted(q.client, q.id, q.outcome))
			];
			const settled = await settle(list, SETTLE_MS);
			const result = await audit(list);
			const row = record({
				fault: `${IDLE_STREAMS} idle SSE connections (${users} users × ${MAX_STREAMS_PER_USER}) held ${IDLE_HOLD_MS / 1000} s`,
				usersSaw:
					`${open}/${IDLE_STREAMS} streams still open at the end (keepalives only), ${failed} failed; ` +
					`another user's requests p95 ${percentile(latencies, 95)?.toFixed(0)} ms (${statuses.filter((s) => s === 200).length}/${statuses.length} ok); ` +
					`replies ${Object.entries(result.states)
						.map(([k, n]) => `${n} ${k}`)
						.join(', ')}`,
				lost: result.lost,
				duplicated: result.duplicated,
				errors:
					failed +
					(IDLE_STREAMS - open - failed) +
					statuses.filter((s) => s !== 200).length +
					result.unfinished +
					(settled ? 0 : 1),
				rssBeforeMb: rssBefore,
				rssAfterMb: rssHeld,
				notes: `fds ${fdsBefore} → ${fdsHeld} while held; RSS after closing ${rssMb(pid)} MB`
			});
			expect(row.lost).toBe(0);
			expect(row.duplicated).toBe(0);
			expect(row.errors).toBe(0);
			expect(result.states).toEqual({ cancelled: 2, done: users });
		} finally {
			llama.process.kill('SIGCONT');
		}
	}, 600_000);

	test(`${NEVER_READ} clients that open a reply's stream and never read`, async () => {
		const users = Math.ceil(NEVER_READ / MAX_STREAMS_PER_USER);
		const names = await addUsers(hearth, 'mute', users);
		const clients = await signInAll(hearth, names, 1_000);
		const pid = hearth.process.pid!;
		const rssBefore = rssMb(pid);
		const replies = await Promise.all(
			clients.map(async (client) => {
				const id = await newConversation(client);
				return { client, id, outcome: mustSend(await sendUnique(client, id, 'mute', 600)) };
			})
		);
		// Each opens its streams and then reads nothing at all: the bodies are left unconsumed.
		const stop = new AbortController();
		const opened = await Promise.all(
			Array.from({ length: NEVER_READ }, async (_, i) => {
				const { client, outcome } = replies[Math.floor(i / MAX_STREAMS_PER_USER)]!;
				const res = await client.call('GET', `/api/jobs/${outcome.sent.job.id}/events`, undefined, {
					signal: stop.signal
				});
				return res.status;
			})
		);
		let rssPeak = rssBefore ?? 0;
		const list: Accepted[] = replies.map((r) => accepted(r.client, r.id, r.outcome));
		let fdsPeak = 0;
		const sampler = setInterval(() => {
			rssPeak = Math.max(rssPeak, rssMb(pid) ?? 0);
			fdsPeak = Math.max(fdsPeak, openFds(pid) ?? 0);
		}, 500);
		let settled: boolean;
		try {
			settled = await settle(list, SETTLE_MS);
		} finally {
			clearInterval(sampler);
		}
		const rssSettled = rssMb(pid);
		stop.abort();
		const result = await audit(list);
		const growth = rssPeak - (rssBefore ?? 0);
		const bound = (NEVER_READ * BUFFER_LIMIT_BYTES) / 2 ** 20 + 64;
		const row = record({
			fault: `${NEVER_READ} clients open a running reply's event stream and never read (${users} replies of 600 tokens)`,
			usersSaw: `streams opened ${opened.filter((s) => s === 200).length}/${NEVER_READ}; replies ${Object.entries(
				result.states
			)
				.map(([k, n]) => `${n} ${k}`)
				.join(', ')}`,
			lost: result.lost,
			duplicated: result.duplicated,
			errors: opened.filter((s) => s !== 200).length + result.unfinished + (settled ? 0 : 1),
			rssBeforeMb: rssBefore,
			rssAfterMb: rssSettled,
			notes: `RSS peak ${rssPeak.toFixed(1)} MB (+${growth.toFixed(1)}; bound checked ${bound.toFixed(0)} MB = 1 MiB queue per client + 64); open fds peak ${fdsPeak} (after each reply ends its streams close; the text fits the socket buffers)`
		});
		expect(row.lost).toBe(0);
		expect(row.duplicated).toBe(0);
		expect(row.errors).toBe(0);
		expect(result.states).toEqual({ done: users });
		expect(growth).toBeLessThan(bound);
	}, 600_000);
});

describe('a burst of 500 requests a second from one address', () => {
	let hearth: HearthServer;
	let flooder: ApiClient;
	let other: ApiClient;

	beforeAll(async () => {
		// Behind a proxy (the tunnel, nginx): each client's own address comes in X-Forwarded-For.
		// The request-rate buckets are the production ones here.
		hearth = await startHearth({ TRUST_PROXY_HEADER: 'x-forwarded-for' });
		await addUsers(hearth, 'burst', 2);
		flooder = await signIn(hearth, 'burst0', PASSWORD);
		other = await signIn(hearth, 'burst1', PASSWORD);
	}, 120_000);
	afterAll(async () => {
		await hearth?.stop();
	});

	/** The other user's ordinary requests, from their own address, every 100 ms until `until`. */
	async function otherUser(until: () => boolean) {
		const latencies: number[] = [];
		const statuses: number[] = [];
		const paths = ['/api/conversations', '/api/me'];
		while (!until()) {
			const started = performance.now();
			const res = await other.call('GET', paths[statuses.length % 2]!, undefined, {
				headers: { 'x-forwarded-for': '198.51.100.9' }
			});
			await res.arrayBuffer();
			latencies.push(performance.now() - started);
			statuses.push(res.status);
			await new Promise((r) => setTimeout(r, 100));
		}
		return { latencies, statuses };
	}

	test('500 requests/s on non-model endpoints from one IP: 429s for it, the others stay quick', async () => {
		const pid = hearth.process.pid!;
		const rssBefore = rssMb(pid);
		// A baseline of the other user's requests, measured in the same run, before the burst.
		const baselineUntil = Date.now() + 2_000;
		const baseline = await otherUser(() => Date.now() > baselineUntil);
		let bursting = true;
		const during = otherUser(() => !bursting);
		const answers: Promise<{ status: number; retryAfter: string | null }>[] = [];
		const paths = ['/api/conversations', '/api/me', '/api/search?q=hearth'];
		const ticks = (BURST_MS / 1000) * 50;
		for (let tick = 0; tick < ticks; tick++) {
			for (let i = 0; i < BURST_PER_SECOND / 50; i++) {
				answers.push(
					flooder
						.call('GET', paths[answers.length % paths.length]!, undefined, {
							headers: { 'x-forwarded-for': '203.0.113.7' }
						})
						.then(async (res) => {
							await res.arrayBuffer();
							return { status: res.status, retryAfter: res.headers.get('retry-after') };
						})
						.catch(() => ({ status: 0, retryAfter: null }))
				);
			}
			await new Promise((r) => setTimeout(r, 20));
		}
		const results = await Promise.all(answers);
		bursting = false;
		const others = await during;
		const counts: Record<number, number> = {};
		for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
		const limited = results.filter((r) => r.status === 429);
		const row = record({
			fault: `burst of ${BURST_PER_SECOND} requests/s for ${BURST_MS / 1000} s on non-model endpoints from one IP`,
			usersSaw:
				`the flooding IP: ${Object.entries(counts)
					.map(([s, n]) => `${n}× ${s}`)
					.join(', ')}; ` +
				`another user: ${others.statuses.filter((s) => s === 200).length}/${others.statuses.length} ok, ` +
				`p95 ${percentile(others.latencies, 95)?.toFixed(0)} ms (before the burst ${percentile(baseline.latencies, 95)?.toFixed(0)} ms)`,
			lost: 0,
			duplicated: 0,
			errors:
				results.filter((r) => r.status === 0 || r.status >= 500).length +
				limited.filter((r) => !r.retryAfter).length +
				others.statuses.filter((s) => s !== 200).length,
			rssBeforeMb: rssBefore,
			rssAfterMb: rssMb(pid),
			notes: `${results.length} requests sent; ${limited.length} answered 429 with Retry-After`
		});
		expect(row.errors).toBe(0);
		expect(limited.length).toBeGreaterThan(0);
		expect(others.statuses.length).toBeGreaterThan(0);
	}, 120_000);
});
