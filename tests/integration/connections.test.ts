// Connection lifetime on the built server: sockets that send nothing or dribble their headers are
// dropped, idle keep-alive sockets are closed, SSE streams outlive the idle timeout on keepalives,
// are capped per user and end with their session. HEARTH_TEST_TIMINGS shortens the timeouts.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SLOW_MODEL, startLlamaServer, type LlamaServer } from '../support/llama-server';
import {
	addUser,
	runCli,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { conversation, newConversation, send } from '../support/chat';
import { MAX_STREAMS_PER_USER } from '$lib/server/jobs/streams';

const IDLE_TIMEOUT_MS = 2_500;
const SSE_KEEPALIVE_MS = 200;
const TIMINGS = {
	headersTimeoutMs: 1_000,
	socketIdleTimeoutMs: IDLE_TIMEOUT_MS,
	keepAliveTimeoutMs: 500,
	timeoutCheckIntervalMs: 100,
	sseKeepaliveMs: SSE_KEEPALIVE_MS
};
/** Long enough (thousands of tokens of the slow model) to outlast every test that streams it. */
const LONG_REPLY_TOKENS = 3_500;
const CONTEXT_TOKENS = 8_192;

/** A raw TCP client: sends `lines` (one every `everyMs`, if given) and collects what comes back. */
function rawClient(port: number, lines: string[] = [], everyMs = 0) {
	const socket = net.connect(port, '127.0.0.1');
	let received = '';
	let sent = 0;
	socket.on('data', (d) => (received += d.toString('latin1')));
	const sendNext = () => {
		if (sent < lines.length && !socket.destroyed) socket.write(lines[sent++]!);
	};
	const timer = everyMs > 0 ? setInterval(sendNext, everyMs) : null;
	if (!timer) socket.once('connect', () => lines.forEach(sendNext));
	const closed = new Promise<void>((resolve) =>
		socket.once('close', () => {
			if (timer) clearInterval(timer);
			resolve();
		})
	);
	return { socket, closed, received: () => received, sent: () => sent };
}

/** Reads an SSE body raw (comments included) until `until` says so or the stream ends. */
async function readRaw(body: ReadableStream<Uint8Array>, until: (text: string) => boolean) {
	const reader = body.getReader();
	const decoder = new TextDecoder();
	let text = '';
	let ended = false;
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) {
				ended = true;
				break;
			}
			text += decoder.decode(value, { stream: true });
			if (until(text)) break;
		}
	} finally {
		reader.releaseLock();
	}
	return { text, ended };
}

describe('connection timeouts and stream lifetime', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let port: number;
	let alice: ApiClient;
	let blockerJob: number;
	let blockerClient: ApiClient;

	beforeAll(async () => {
		// The replies here ask for up to 8 000 tokens, which the context window check refuses (413) unless
		// the model's own window is that large: the test model's default (2 048) caps llama's -c.
		llama = await startLlamaServer({
			parallel: 1,
			contextSize: CONTEXT_TOKENS,
			model: { ...SLOW_MODEL, contextLength: CONTEXT_TOKENS },
			// llama-server serves each connection on a thread of its own, kept for a kept-alive connection's
			// idle seconds: with the default 3 threads, a send (several parallel model-server calls) could
			// wait longer than this file's 2.5 s idle socket timeout, and the socket was closed unanswered.
			extraArgs: ['--ignore-eos', '--threads-http', '16']
		});
		hearth = await startHearth({
			LLAMA_URL: llama.url,
			HEARTH_TEST_TIMINGS: Object.entries(TIMINGS)
				.map(([name, ms]) => `${name}=${ms}`)
				.join(',')
		});
		port = Number(new URL(hearth.url).port);
		addUser(hearth, 'alice', 'alice-password');
		addUser(hearth, 'bram', 'bram-password-1');
		alice = await signIn(hearth, 'alice', 'alice-password');
		// Bram's long reply holds llama's only slot, so the replies the tests start stay queued.
		blockerClient = await signIn(hearth, 'bram', 'bram-password-1');
		const blocker = await send(blockerClient, await newConversation(blockerClient), 8_000);
		blockerJob = blocker.job.id;
	}, 120_000);
	afterAll(async () => {
		await blockerClient?.call('POST', `/api/jobs/${blockerJob}/cancel`);
		await hearth?.stop();
		await llama?.stop();
	});

	/** A reply of `client` that stays open for the length of a test; cancelled by the caller. */
	async function longReply(client: ApiClient) {
		const id = await newConversation(client);
		const sent = await send(client, id, LONG_REPLY_TOKENS);
		return { conversationId: id, jobId: sent.job.id };
	}

	it('an SSE stream on keepalives alone outlives the idle socket timeout', async () => {
		const reply = await longReply(alice);
		const res = await alice.call('GET', `/api/jobs/${reply.jobId}/events`);
		expect(res.status).toBe(200);
		// Twice the idle timeout's worth of keepalives, and nothing else: the reply is still queued.
		const needed = Math.ceil((2 * IDLE_TIMEOUT_MS) / SSE_KEEPALIVE_MS);
		const { text, ended } = await readRaw(
			res.body!,
			(t) => (t.match(/^: keepalive$/gm) ?? []).length >= needed
		);
		expect(ended).toBe(false);
		expect(text).not.toMatch(/^event: delta$/m);
		await res.body!.cancel();
		await alice.call('POST', `/api/jobs/${reply.jobId}/cancel`);
	});

	it('a socket that sends nothing is answered 408 and closed after the header timeout', async () => {
		const client = rawClient(port);
		await client.closed;
		expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
	});

	it('a client dribbling its headers (one line every 100 ms) is dropped at the header timeout', async () => {
		const lines = ['GET /healthz HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n'];
		for (let i = 0; i < 100; i++) lines.push(`X-Slow-${i}: ${'a'.repeat(10)}\r\n`);
		const client = rawClient(port, [...lines, '\r\n'], 100);
		await client.closed;
		expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
		expect(client.sent()).toBeLessThan(lines.length);
	});

	it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
		const client = rawClient(port, [
			'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n'
		]);
		await client.closed;
		expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
		expect(client.received()).toMatch(/keep-alive/i);
	});

	it('a request that goes silent mid-body is dropped after the idle socket timeout', async () => {
		const client = rawClient(port, [
			'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
				'Content-Length: 1000\r\n\r\n{"username":'
		]);
		await client.closed;
		// No 408: the headers came in time and the request deadline is minutes away.
		expect(client.received()).toBe('');
	});

	it('a slow upload that keeps sending outlives the idle socket timeout', async () => {
		const body = JSON.stringify({ username: 'nobody-at-all', password: 'x'.repeat(40) });
		const pieces = Math.ceil((2 * IDLE_TIMEOUT_MS) / 250);
		const size = Math.ceil(body.length / pieces);
		const lines = [
			'POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
				`Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`
		];
		for (let at = 0; at < body.length; at += size) lines.push(body.slice(at, at + size));
		const client = rawClient(port, lines, 250);
		await client.closed;
		expect(client.sent()).toBe(lines.length);
		expect(client.received()).toMatch(/^HTTP\/1\.1 401 /);
	});

	it(`a user gets at most ${MAX_STREAMS_PER_USER} streams at once (then 429), and a closed one frees its place`, async () => {
		const reply = await longReply(alice);
		const streams = await Promise.all(
			Array.from({ length: MAX_STREAMS_PER_USER }, async () => {
				const controller = new AbortController();
				const res = await alice.call('GET', `/api/jobs/${reply.jobId}/events`, undefined, {
					signal: controller.signal
				});
				return { res, controller };
			})
		);
		expect(streams.map((s) => s.res.status)).toEqual(Array(MAX_STREAMS_PER_USER).fill(200));

		const refused = await alice.call('GET', `/api/jobs/${reply.jobId}/events`);
		expect(refused.status).toBe(429);
		expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
		expect(await refused.json()).toMatchObject({ error: { code: 'too_many_streams' } });

		// Send-and-stream is refused the same way, before anything is stored.
		const before = (await conversation(alice, reply.conversationId)).messages.length;
		const sendStream = await alice.call(
			'POST',
			`/api/conversations/${reply.conversationId}/messages`,
			{ content: 'one more', maxTokens: 8 },
			{ headers: { accept: 'text/event-stream' } }
		);
		expect(sendStream.status).toBe(429);
		expect((await sendStream.json()) as unknown).toMatchObject({
			error: { code: 'too_many_streams' }
		});
		expect((await conversation(alice, reply.conversationId)).messages).toHaveLength(before);

		// Another user is not held back by Alice's streams.
		const bramStream = await blockerClient.call('GET', `/api/jobs/${blockerJob}/events`);
		expect(bramStream.status).toBe(200);
		await bramStream.body!.cancel();

		// Closing one gives its place back.
		streams[0]!.controller.abort();
		await vi.waitFor(
			async () => {
				const res = await alice.call('GET', `/api/jobs/${reply.jobId}/events`);
				await res.body?.cancel();
				expect(res.status).toBe(200);
			},
			{ timeout: 10_000, interval: 50 }
		);
		for (const s of streams.slice(1)) s.controller.abort();
		await alice.call('POST', `/api/jobs/${reply.jobId}/cancel`);
	});

	it('signing out ends the open streams of that session at once, and only those', async () => {
		const reply = await longReply(alice);
		const other = await signIn(hearth, 'alice', 'alice-password');
		const leaving = await other.call('GET', `/api/jobs/${reply.jobId}/events`);
		const staying = await alice.call('GET', `/api/jobs/${reply.jobId}/events`);
		expect([leaving.status, staying.status]).toEqual([200, 200]);

		expect((await other.call('POST', '/api/auth/logout')).status).toBe(204);
		const { text, ended } = await readRaw(leaving.body!, () => false);
		expect(ended).toBe(true);
		expect(text).not.toMatch(/^event: (done|error)$/m);
		// The reply goes on, and the other session's stream with it.
		const stored = (await conversation(alice, reply.conversationId)).messages[1];
		expect(['queued', 'streaming']).toContain(stored?.status);
		const more = await readRaw(staying.body!, (t) => /^: keepalive$/m.test(t));
		expect(more.ended).toBe(false);
		await staying.body!.cancel();
		// The signed-out session cannot reconnect.
		expect((await other.call('GET', `/api/jobs/${reply.jobId}/events`)).status).toBe(401);
		await alice.call('POST', `/api/jobs/${reply.jobId}/cancel`);
	});

	it('a session revoked elsewhere (the CLI, another instance) ends its streams at the next re-check', async () => {
		addUser(hearth, 'carol', 'carol-password');
		const carol = await signIn(hearth, 'carol', 'carol-password');
		const reply = await longReply(carol);
		const res = await carol.call('GET', `/api/jobs/${reply.jobId}/events`);
		expect(res.status).toBe(200);
		const { code } = runCli(
			hearth.dataDir,
			['user', 'passwd', 'carol', '--password-stdin'],
			'carol-new-password'
		);
		expect(code).toBe(0);
		const { text, ended } = await readRaw(res.body!, () => false);
		expect(ended).toBe(true);
		expect(text).not.toMatch(/^event: (done|error)$/m);
		const again = await signIn(hearth, 'carol', 'carol-new-password');
		await again.call('POST', `/api/jobs/${reply.jobId}/cancel`);
	});
});
