// Gateway overhead: time to first token and tokens/s through Hearth (enqueue → job → SSE) versus
// streaming directly from the same llama-server, interleaved round by round in one run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { parseSse, type SseEvent } from '$lib/client/sse';
import type { MessageDto, SendResultDto } from '$lib/shared/dto';
import {
	startLlamaServer,
	TEST_MODEL_ALIAS,
	type LlamaServer
} from '../tests/support/llama-server';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../tests/support/hearth-server';
import { freePort } from '../tests/support/ports';
import { fmt, hearthLauncher, hearthRuntime, median, percentile, rssMb } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const TOKENS = 256;
const PROMPT = [{ role: 'user', content: 'Tell me about the hearth.' }];

let llama: LlamaServer;
let hearth: HearthServer;
let client: ApiClient;
let conversationId: number;

beforeAll(async () => {
	llama = await startLlamaServer({ extraArgs: ['--ignore-eos'] });
	hearth = await startHearth({ LLAMA_URL: llama.url }, undefined, hearthLauncher());
	addUser(hearth, 'bench', 'bench-password');
	client = await signIn(hearth, 'bench', 'bench-password');
	conversationId = (await client.json<{ id: number }>('POST', '/api/conversations', {})).body.id;
});
afterAll(async () => {
	await hearth?.stop();
	await llama?.stop();
});

interface Sample {
	ttftMs: number;
	/** Generated tokens over the time from request to last token. */
	tokensPerSecond: number;
	/** Characters after the first delta over the time after it: the streaming rate itself. */
	charsPerSecond: number;
	/** llama-server's own generation speed for this reply (its `timings`). */
	upstreamTokensPerSecond: number;
}

function sample(
	start: number,
	first: number,
	last: number,
	tokens: number,
	charsAfterFirst: number,
	upstreamTokensPerSecond: number
): Sample {
	return {
		ttftMs: first - start,
		tokensPerSecond: tokens / ((last - start) / 1000),
		charsPerSecond: charsAfterFirst / ((last - first) / 1000),
		upstreamTokensPerSecond
	};
}

async function direct(): Promise<Sample> {
	const start = performance.now();
	const res = await fetch(`${llama.url}/v1/chat/completions`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			model: TEST_MODEL_ALIAS,
			messages: PROMPT,
			max_tokens: TOKENS,
			stream: true
		})
	});
	let first = 0;
	let last = 0;
	let tokens = 0;
	let chars = 0;
	let upstream = 0;
	for await (const event of parseSse(res.body!)) {
		if (event.data === '[DONE]') break;
		const chunk = JSON.parse(event.data) as {
			choices: { delta?: { content?: string } }[];
			timings?: { predicted_per_second?: number };
		};
		if (chunk.timings?.predicted_per_second) upstream = chunk.timings.predicted_per_second;
		const text = chunk.choices[0]?.delta?.content;
		if (text) {
			last = performance.now();
			if (first) chars += text.length;
			first ||= last;
			tokens++;
		}
	}
	return sample(start, first, last, tokens, chars, upstream);
}

/** Reads a Hearth reply stream to its end and measures it from `start`. */
async function measureReply(events: AsyncIterable<SseEvent>, start: number): Promise<Sample> {
	let first = 0;
	let last = 0;
	let chars = 0;
	let tokens = 0;
	let upstream = 0;
	for await (const event of events) {
		if (event.event === 'delta') {
			last = performance.now();
			if (first) chars += ((JSON.parse(event.data) as { text?: string }).text ?? '').length;
			first ||= last;
		} else if (event.event === 'usage') {
			tokens = (JSON.parse(event.data) as { completionTokens: number }).completionTokens;
		} else if (event.event === 'error') throw new Error(event.data);
		else if (event.event === 'done') {
			upstream =
				(JSON.parse(event.data) as { message: MessageDto }).message.usage?.tokensPerSecond ?? 0;
			break;
		}
	}
	return sample(start, first, last, tokens, chars, upstream);
}

async function viaHearth(): Promise<Sample> {
	const start = performance.now();
	// A fresh branch from the root each round, so every round sends the same prompt.
	const sent = await client.json<SendResultDto>(
		'POST',
		`/api/conversations/${conversationId}/messages`,
		{
			content: PROMPT[0]!.content,
			parentId: null,
			maxTokens: TOKENS
		}
	);
	if (sent.status !== 202) throw new Error(JSON.stringify(sent.body));
	return measureReply(await client.events(sent.body.job.id), start);
}

/** Enqueue and stream in one request (POST with Accept: text/event-stream). */
async function viaHearthOneRequest(): Promise<Sample> {
	const start = performance.now();
	const res = await client.call(
		'POST',
		`/api/conversations/${conversationId}/messages`,
		{ content: PROMPT[0]!.content, parentId: null, maxTokens: TOKENS },
		{ headers: { accept: 'text/event-stream' } }
	);
	if (res.status !== 202) throw new Error(await res.text());
	return measureReply(parseSse(res.body!), start);
}

const CLOCK_TICKS_PER_SECOND = 100;
const READY_POLL_MS = 2;
const START_RUNS = 5;
const PINNED_ROUNDS = Math.max(4, Math.round(ROUNDS / 4));

/** CPU time (user + system) a process has used so far, in µs (Linux /proc). */
function cpuMicros(pid: number): number {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// fields[11] and [12] are utime and stime (fields 14 and 15 of proc(5)).
	return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND) * 1e6;
}

/** Starts `hearth serve` (optionally under `taskset -c 0`) and returns ms from spawn to the first good /healthz. */
async function startToReady(pinned: boolean): Promise<{ ms: number; rssMb: number }> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-bench-'));
	const port = await freePort();
	const argv = [process.execPath, 'bin/hearth.js', 'serve'];
	const [cmd, ...args] = [...hearthLauncher(pinned ? ['taskset', '-c', '0'] : []), ...argv];
	const start = performance.now();
	const child = spawn(cmd!, args, {
		env: {
			...process.env,
			DATA_DIR: dir,
			DATABASE_URL: '',
			HOST: '127.0.0.1',
			PORT: String(port),
			ORIGIN: '',
			LOG_LEVEL: 'warn',
			LLAMA_URL: llama.url
		},
		stdio: 'ignore'
	});
	try {
		for (;;) {
			if (child.exitCode !== null) throw new Error('hearth exited during start');
			try {
				if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
			} catch {
				// not yet listening
			}
			await new Promise((r) => setTimeout(r, READY_POLL_MS));
		}
		const ms = performance.now() - start;
		// Idle: let start-up work settle (a second with nothing to do), then read RSS.
		await new Promise((r) => setTimeout(r, 1000));
		return { ms, rssMb: rssMb(child.pid!) };
	} finally {
		const exited = new Promise((r) => child.once('exit', r));
		child.kill('SIGTERM');
		await exited;
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/** Streams `rounds` one-request replies through `server` and returns Hearth's CPU µs per token. */
async function cpuPerToken(
	server: HearthServer,
	api: ApiClient,
	conversation: number,
	rounds: number
) {
	const pid = pidOf(server);
	const before = cpuMicros(pid);
	let tokens = 0;
	for (let i = 0; i < rounds; i++) {
		const res = await api.call(
			'POST',
			`/api/conversations/${conversation}/messages`,
			{ content: PROMPT[0]!.content, parentId: null, maxTokens: TOKENS },
			{ headers: { accept: 'text/event-stream' } }
		);
		const s = await measureReply(parseSse(res.body!), performance.now());
		tokens += s.tokensPerSecond ? TOKENS : 0;
	}
	return (cpuMicros(pid) - before) / tokens;
}

/** The node process's pid (under taskset, exec replaces taskset in the same pid). */
const pidOf = (server: HearthServer) => server.process.pid!;

it('process figures: start-to-ready, idle RSS, CPU per streamed token (free and pinned)', async () => {
	const lines = [
		`process (${hearthRuntime()}): ${START_RUNS} starts each; load average ${os
			.loadavg()
			.map((l) => fmt(l, 2))
			.join(' ')}`
	];
	for (const pinned of [false, true]) {
		const runs = [];
		for (let i = 0; i < START_RUNS; i++) runs.push(await startToReady(pinned));
		const label = pinned ? 'pinned to one core (taskset -c 0)' : 'free (2 cores)';
		lines.push(
			`  ${label}: start-to-ready p50 ${fmt(median(runs.map((r) => r.ms)) / 1000, 3)} s (min ${fmt(Math.min(...runs.map((r) => r.ms)) / 1000, 3)} s, target ≤ 0.3 s), idle RSS p50 ${fmt(median(runs.map((r) => r.rssMb)))} MB (target ≤ 80 MB)`
		);
	}
	const free = await cpuPerToken(hearth, client, conversationId, PINNED_ROUNDS);
	const pinnedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-bench-pinned-'));
	const pinnedServer = await startHearth(
		{ LLAMA_URL: llama.url },
		pinnedDir,
		hearthLauncher(['taskset', '-c', '0'])
	);
	try {
		addUser(pinnedServer, 'bench', 'bench-password');
		const api = await signIn(pinnedServer, 'bench', 'bench-password');
		const conv = (await api.json<{ id: number }>('POST', '/api/conversations', {})).body.id;
		const pinned = await cpuPerToken(pinnedServer, api, conv, PINNED_ROUNDS);
		lines.push(
			`  CPU per streamed token in Hearth (one streaming POST, ${PINNED_ROUNDS} replies of ${TOKENS} tokens): free ${fmt(free, 0)} µs, pinned ${fmt(pinned, 0)} µs`,
			`  load average after: ${os
				.loadavg()
				.map((l) => fmt(l, 2))
				.join(' ')}`
		);
	} finally {
		await pinnedServer.stop();
	}
	console.log(lines.join('\n'));
});

it('gateway overhead', async () => {
	await direct();
	await viaHearth();
	await viaHearthOneRequest();
	const pairs: { direct: Sample; hearth: Sample; one: Sample }[] = [];
	for (let i = 0; i < ROUNDS; i++) {
		// Rotate the order so no variant always runs first on a warm cache.
		const run = { direct, hearth: viaHearth, one: viaHearthOneRequest };
		const order = (['direct', 'hearth', 'one'] as const).map((_, k, all) => all[(k + i) % 3]!);
		const round = {} as { direct: Sample; hearth: Sample; one: Sample };
		for (const name of order) round[name] = await run[name]();
		pairs.push(round);
	}
	const addedOne = pairs.map((p) => p.one.ttftMs - p.direct.ttftMs);
	const added = pairs.map((p) => p.hearth.ttftMs - p.direct.ttftMs);
	const directTps = median(pairs.map((p) => p.direct.tokensPerSecond));
	const hearthTps = median(pairs.map((p) => p.hearth.tokensPerSecond));
	const directUp = median(pairs.map((p) => p.direct.upstreamTokensPerSecond));
	const hearthUp = median(pairs.map((p) => p.hearth.upstreamTokensPerSecond));
	const directCps = median(pairs.map((p) => p.direct.charsPerSecond));
	const hearthCps = median(pairs.map((p) => p.hearth.charsPerSecond));
	const lines = [
		`gateway: ${ROUNDS} interleaved rounds, ${TOKENS} tokens each, llama-server with the generated test model; Hearth: ${hearthRuntime()}`,
		`  time to first token, direct: p50 ${fmt(median(pairs.map((p) => p.direct.ttftMs)))} ms, p99 ${fmt(
			percentile(
				pairs.map((p) => p.direct.ttftMs),
				99
			)
		)} ms`,
		`  time to first token, Hearth: p50 ${fmt(median(pairs.map((p) => p.hearth.ttftMs)))} ms, p99 ${fmt(
			percentile(
				pairs.map((p) => p.hearth.ttftMs),
				99
			)
		)} ms`,
		`  added by Hearth, POST then GET /events: p50 ${fmt(median(added), 2)} ms, p99 ${fmt(percentile(added, 99), 2)} ms (target ≤ 2 / ≤ 10)`,
		`  added by Hearth, one streaming POST: p50 ${fmt(median(addedOne), 2)} ms, p99 ${fmt(percentile(addedOne, 99), 2)} ms`,
		`  tokens/s (request to last token): direct ${fmt(directTps, 0)}, Hearth ${fmt(hearthTps, 0)}, ratio ${fmt(hearthTps / directTps, 3)}×`,
		`  llama-server's own generation speed meanwhile: direct rounds ${fmt(directUp, 0)}, Hearth rounds ${fmt(hearthUp, 0)} tokens/s (${fmt(hearthUp / directUp, 3)}×; the 2 cores are shared)`,
		`  delivered rate relative to llama-server's own speed in the same round: ${fmt(hearthCps / hearthUp / (directCps / directUp), 3)}× (Hearth keeps up with what is generated)`,
		`  streaming rate after the first token: direct ${fmt(directCps, 0)} chars/s, Hearth ${fmt(hearthCps, 0)} chars/s, ratio ${fmt(hearthCps / directCps, 3)}× (target ≥ 0.99×)`
	];
	lines.push(
		`  load average: ${os
			.loadavg()
			.map((l) => fmt(l, 2))
			.join(' ')}`
	);
	console.log(lines.join('\n'));
});
