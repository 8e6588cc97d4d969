// One queue for everyone (issue 17 item 4): a script's 20 /v1 requests and another user's chat
// message share llama.cpp's single slot, and the chat reply starts within one slot's turn. The
// upstream is a one-slot llama.cpp stand-in that records the order in which requests start and
// holds each one open until the test lets it finish, so the assertion is on order, not on time.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listenLocal } from '../support/ports';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { newConversation, send, settledReply } from '../support/chat';

const SCRIPT_REQUESTS = 20;
const METRICS_TOKEN = 'fair-queue-metrics-token-0123';

interface Upstream {
	url: string;
	/** The last user text of each chat request, in the order they reached the upstream. */
	started: string[];
	/** Answers the oldest held request (a short SSE reply), freeing its slot. */
	finishNext(): void;
	close(): Promise<void>;
}

function lastUserText(body: unknown): string {
	const messages = (body as { messages?: { role: string; content: unknown }[] }).messages ?? [];
	const content = messages.filter((m) => m.role === 'user').at(-1)?.content;
	return typeof content === 'string' ? content : JSON.stringify(content);
}

/** llama-server as far as Hearth reads it, with one slot; chat requests wait to be finished. */
async function startOneSlotUpstream(): Promise<Upstream> {
	const held: http.ServerResponse[] = [];
	const upstream: Upstream = {
		url: '',
		started: [],
		finishNext() {
			const res = held.shift();
			if (!res) throw new Error('no request is running upstream');
			const chunk = (delta: object, finish: string | null) =>
				`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: 'stub', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
			res.write(chunk({ role: 'assistant', content: 'Done.' }, null));
			res.write(chunk({}, 'stop'));
			res.end('data: [DONE]\n\n');
		},
		close: async () => {}
	};
	const server = http.createServer(async (req, res) => {
		const chunks: Buffer[] = [];
		for await (const c of req) chunks.push(c as Buffer);
		const json = (value: unknown) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify(value));
		};
		if (req.url === '/props')
			return json({ total_slots: 1, default_generation_settings: { n_ctx: 4096 } });
		if (req.url === '/v1/models')
			return json({ object: 'list', data: [{ id: 'stub', object: 'model', created: 0 }] });
		if (req.url === '/v1/chat/completions') {
			upstream.started.push(lastUserText(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
			res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
			held.push(res);
			return;
		}
		res.writeHead(404, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ error: { message: 'Unknown path', type: 'invalid_request_error' } }));
	});
	upstream.url = await listenLocal(server);
	upstream.close = () =>
		new Promise((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		});
	return upstream;
}

describe('one fair queue for chat replies and /v1 requests', () => {
	let upstream: Upstream;
	let hearth: HearthServer;
	let scripter: ApiClient;
	let household: ApiClient;

	beforeAll(async () => {
		upstream = await startOneSlotUpstream();
		hearth = await startHearth({ LLAMA_URL: upstream.url, METRICS_TOKEN });
		addUser(hearth, 'scripter', 'scripter-password');
		addUser(hearth, 'household', 'household-password');
		scripter = await signIn(hearth, 'scripter', 'scripter-password');
		household = await signIn(hearth, 'household', 'household-password');
	}, 60_000);
	afterAll(async () => {
		await hearth?.stop();
		await upstream?.close();
	});

	/** The llama gate's waiters, as /metrics reports them. */
	async function waiting(): Promise<number> {
		const res = await fetch(`${hearth.url}/metrics`, {
			headers: { authorization: `Bearer ${METRICS_TOKEN}` }
		});
		const line = (await res.text())
			.split('\n')
			.find((l) => l.startsWith('hearth_provider_slots{provider="llama",use="waiting"}'));
		return line ? Number(line.split(' ').at(-1)) : 0;
	}

	it("a script's 20 requests delay another user's chat reply by one slot turn at most", async () => {
		const created = await scripter.json<{ secret: string }>('POST', '/api/keys', {
			name: 'batch script'
		});
		expect(created.status).toBe(201);
		const script = Array.from({ length: SCRIPT_REQUESTS }, (_, i) =>
			fetch(`${hearth.url}/v1/chat/completions`, {
				method: 'POST',
				headers: {
					authorization: `Bearer ${created.body.secret}`,
					'content-type': 'application/json'
				},
				body: JSON.stringify({
					model: 'llama/stub',
					stream: true,
					messages: [{ role: 'user', content: `script ${i}` }]
				})
			}).then(async (res) => {
				expect(res.status).toBe(200);
				return res.text();
			})
		);
		// One script request holds the slot; the other 19 wait in the gate.
		await vi.waitFor(() => expect(upstream.started).toHaveLength(1), { timeout: 15_000 });
		await vi.waitFor(async () => expect(await waiting()).toBe(SCRIPT_REQUESTS - 1), {
			timeout: 15_000
		});

		const id = await newConversation(household);
		const sent = await send(household, id, 16, { content: 'dinner ideas?', model: 'llama/stub' });
		await vi.waitFor(async () => expect(await waiting()).toBe(SCRIPT_REQUESTS), {
			timeout: 15_000
		});

		// The running script request ends: the next turn is the household's, not the script's.
		upstream.finishNext();
		await vi.waitFor(() => expect(upstream.started).toHaveLength(2), { timeout: 15_000 });
		expect(upstream.started[1]).toBe('dinner ideas?');

		// Then the script's requests run one by one, each once.
		for (let n = 2; n <= SCRIPT_REQUESTS + 1; n++) {
			upstream.finishNext();
			if (n <= SCRIPT_REQUESTS)
				await vi.waitFor(() => expect(upstream.started).toHaveLength(n + 1), {
					timeout: 15_000
				});
		}
		const reply = await settledReply(household, id, sent.reply.id);
		expect(reply).toMatchObject({ status: 'done', content: 'Done.' });
		const bodies = await Promise.all(script);
		expect(bodies.every((b) => b.includes('Done.'))).toBe(true);
		expect(upstream.started.filter((s) => s.startsWith('script')).sort()).toEqual(
			Array.from({ length: SCRIPT_REQUESTS }, (_, i) => `script ${i}`).sort()
		);
	}, 120_000);
});
