// Where Hearth's added first-token time goes, in two halves, against an upstream in this process
// (so one clock reads all four moments): before — from the client's send to the upstream having
// the whole request — and after — from the upstream writing its first chunk to the client reading
// it. Each is compared with the same request sent straight to that upstream, interleaved round by
// round, for the chat (one streaming POST) and for /v1. llama-server's own prompt reading is not
// in these figures; gateway.bench.ts and v1.bench.ts measure the whole against a real model.
import http from 'node:http';
import os from 'node:os';
import { afterAll, beforeAll, it } from 'vitest';
import { parseSse } from '$lib/client/sse';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../tests/support/hearth-server';
import { listenLocal } from '../tests/support/ports';
import { fmt, hearthLauncher, hearthRuntime, median, percentile } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const MODEL = 'timing-model';
const FIRST_TEXT = 'Hello';

/** When the upstream had the whole request, and when it wrote the first chunk. */
let arrived = 0;
let firstWritten = 0;
let upstream: http.Server;
let upstreamUrl = '';
let hearth: HearthServer;
let client: ApiClient;
let secret: string;
let conversationId: number;

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
	`data: ${JSON.stringify({ id: 'chatcmpl-t', object: 'chat.completion.chunk', created: 0, model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** llama.cpp's server as far as Hearth reads it: /props, /models, /tokenize, /apply-template and a streamed completion. */
function timingUpstream(req: http.IncomingMessage, res: http.ServerResponse) {
	const json = (value: unknown) => {
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify(value));
	};
	let raw = '';
	req.setEncoding('utf8');
	req.on('data', (data: string) => (raw += data));
	req.on('end', () => {
		if (req.url === '/props')
			return json({
				total_slots: 4,
				model_path: `/models/${MODEL}.gguf`,
				default_generation_settings: { n_ctx: 8192 }
			});
		// A single-model llama-server answers /models as /v1/models (not a router's list).
		if (req.url === '/v1/models' || req.url === '/models')
			return json({ object: 'list', data: [{ id: MODEL }] });
		if (req.url === '/health') return json({ status: 'ok' });
		if (req.url === '/apply-template') {
			const { messages } = JSON.parse(raw) as { messages: { content: string }[] };
			return json({ prompt: messages.map((m) => m.content).join('\n') });
		}
		if (req.url === '/tokenize') {
			const { content } = JSON.parse(raw) as { content: string };
			return json({ tokens: Array.from({ length: Math.ceil(content.length / 4) }, (_, i) => i) });
		}
		arrived = performance.now();
		res.writeHead(200, { 'content-type': 'text/event-stream' });
		firstWritten = performance.now();
		res.write(chunk({ role: 'assistant', content: FIRST_TEXT }));
		res.write(chunk({}, 'stop'));
		res.write(
			`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } })}\n\n`
		);
		res.end('data: [DONE]\n\n');
	});
}

beforeAll(async () => {
	upstream = http.createServer(timingUpstream);
	upstreamUrl = await listenLocal(upstream);
	// Hundreds of requests a second from one address: the request-rate buckets refill fast here.
	hearth = await startHearth(
		{ LLAMA_URL: upstreamUrl, HEARTH_TEST_TIMINGS: 'requestRefillMs=1' },
		undefined,
		hearthLauncher()
	);
	addUser(hearth, 'bench', 'bench-password');
	client = await signIn(hearth, 'bench', 'bench-password');
	secret = (await client.json<{ secret: string }>('POST', '/api/keys', { name: 'bench' })).body
		.secret;
	conversationId = (await client.json<{ id: number }>('POST', '/api/conversations', {})).body.id;
});
afterAll(async () => {
	await hearth?.stop();
	await new Promise((resolve) => upstream?.close(resolve));
});

interface Split {
	/** Client send → the upstream has the request. */
	beforeMs: number;
	/** The upstream writes its first chunk → the client has its text. */
	afterMs: number;
}

async function timed(send: () => Promise<Response>, firstText: (data: string) => boolean) {
	arrived = firstWritten = 0;
	const start = performance.now();
	const res = await send();
	if (!res.ok || !res.body) throw new Error(`${res.status} ${await res.text()}`);
	let seen = 0;
	for await (const event of parseSse(res.body)) {
		if (!seen && firstText(event.data)) seen = performance.now();
		if (event.data === '[DONE]' || event.event === 'done') break;
	}
	if (!seen || !arrived) throw new Error('no first text');
	return { beforeMs: arrived - start, afterMs: seen - firstWritten } satisfies Split;
}

const hasContent = (data: string) => data.includes(FIRST_TEXT);
const body = { model: MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: true };

const direct = () =>
	timed(
		() =>
			fetch(`${upstreamUrl}/v1/chat/completions`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body)
			}),
		hasContent
	);
const v1 = () =>
	timed(
		() =>
			fetch(`${hearth.url}/v1/chat/completions`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
				body: JSON.stringify({ ...body, model: `llama/${MODEL}` })
			}),
		hasContent
	);
/** Every chat message is new text, as people write (its token count is not cached yet). */
let sent = 0;
const chat = () =>
	timed(
		() =>
			client.call(
				'POST',
				`/api/conversations/${conversationId}/messages`,
				{ content: `Hi number ${++sent}`, parentId: null },
				{ headers: { accept: 'text/event-stream' } }
			),
		hasContent
	);

it('where the added first-token time goes', async () => {
	for (const warm of [direct, v1, chat]) await warm();
	const runs: Record<'direct' | 'v1' | 'chat', Split[]> = { direct: [], v1: [], chat: [] };
	for (let i = 0; i < ROUNDS; i++) {
		// Rotate the order, so none always follows the same one.
		const order = [direct, v1, chat];
		for (let k = 0; k < i % 3; k++) order.push(order.shift()!);
		for (const run of order) {
			const split = await run();
			runs[run === direct ? 'direct' : run === v1 ? 'v1' : 'chat'].push(split);
		}
	}
	const line = (name: string, values: number[]) =>
		`${name} p50 ${fmt(median(values), 2)} ms, p99 ${fmt(percentile(values, 99), 2)} ms`;
	const report = (path: 'v1' | 'chat') => {
		const before = runs[path].map((s) => s.beforeMs);
		const after = runs[path].map((s) => s.afterMs);
		return [
			`  ${path}: ${line('send → upstream has it', before)}; ${line('upstream writes → client reads', after)}`,
			`    added over direct: before ${fmt(median(before) - median(runs.direct.map((s) => s.beforeMs)), 2)} ms, ` +
				`after ${fmt(median(after) - median(runs.direct.map((s) => s.afterMs)), 2)} ms (p50s)`
		];
	};
	console.log(
		[
			`overhead: ${ROUNDS} rounds each, an upstream in this process answering at once; Hearth: ${hearthRuntime()}`,
			`  direct: ${line(
				'send → upstream has it',
				runs.direct.map((s) => s.beforeMs)
			)}; ${line(
				'upstream writes → client reads',
				runs.direct.map((s) => s.afterMs)
			)}`,
			...report('v1'),
			...report('chat'),
			`  load average: ${os
				.loadavg()
				.map((l) => fmt(l, 2))
				.join(' ')}`
		].join('\n')
	);
});
