// /v1 overhead: a streamed /v1/chat/completions through Hearth (bearer key → passthrough → the
// provider's guard → OpenAI SSE) against the same request sent straight to llama-server,
// interleaved round by round in one run: added time to first token and the streaming rate.
import os from 'node:os';
import { afterAll, beforeAll, it } from 'vitest';
import { parseSse } from '$lib/client/sse';
import {
	startLlamaServer,
	TEST_MODEL_ALIAS,
	type LlamaServer
} from '../tests/support/llama-server';
import { addUser, signIn, startHearth, type HearthServer } from '../tests/support/hearth-server';
import { fmt, hearthLauncher, hearthRuntime, median, percentile } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const TOKENS = 256;
const MESSAGES = [{ role: 'user', content: 'Tell me about the hearth.' }];

let llama: LlamaServer;
let hearth: HearthServer;
let secret: string;

beforeAll(async () => {
	llama = await startLlamaServer({ extraArgs: ['--ignore-eos'] });
	hearth = await startHearth({ LLAMA_URL: llama.url }, undefined, hearthLauncher());
	addUser(hearth, 'bench', 'bench-password');
	const client = await signIn(hearth, 'bench', 'bench-password');
	const made = await client.json<{ secret: string }>('POST', '/api/keys', { name: 'bench' });
	secret = made.body.secret;
});
afterAll(async () => {
	await hearth?.stop();
	await llama?.stop();
});

interface Sample {
	ttftMs: number;
	/** Characters after the first delta over the time after it: the streaming rate itself. */
	charsPerSecond: number;
	/** llama-server's own generation speed for this reply (its `timings`; direct only). */
	upstreamTokensPerSecond: number;
}

async function stream(url: string, model: string, headers: Record<string, string>) {
	const start = performance.now();
	const res = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: JSON.stringify({
			model,
			messages: MESSAGES,
			max_tokens: TOKENS,
			stream: true,
			stream_options: { include_usage: true }
		})
	});
	if (!res.ok || !res.body) throw new Error(`${res.status} ${await res.text()}`);
	let first = 0;
	let last = 0;
	let chars = 0;
	let upstream = 0;
	let completion = 0;
	for await (const event of parseSse(res.body)) {
		if (event.data === '[DONE]') break;
		const chunk = JSON.parse(event.data) as {
			choices: { delta?: { content?: string } }[];
			usage?: { completion_tokens?: number };
			timings?: { predicted_per_second?: number };
		};
		if (chunk.timings?.predicted_per_second) upstream = chunk.timings.predicted_per_second;
		if (chunk.usage?.completion_tokens) completion = chunk.usage.completion_tokens;
		const text = chunk.choices[0]?.delta?.content;
		if (text) {
			last = performance.now();
			if (first) chars += text.length;
			first ||= last;
		}
	}
	if (completion !== TOKENS) throw new Error(`expected ${TOKENS} tokens, got ${completion}`);
	return {
		ttftMs: first - start,
		charsPerSecond: chars / ((last - first) / 1000),
		upstreamTokensPerSecond: upstream
	} satisfies Sample;
}

const direct = () => stream(`${llama.url}/v1/chat/completions`, TEST_MODEL_ALIAS, {});
const viaHearth = () =>
	stream(`${hearth.url}/v1/chat/completions`, `llama/${TEST_MODEL_ALIAS}`, {
		authorization: `Bearer ${secret}`
	});

it('/v1 streaming overhead', async () => {
	await direct();
	await viaHearth();
	const rounds: { direct: Sample; hearth: Sample }[] = [];
	for (let i = 0; i < ROUNDS; i++) {
		// Alternate which goes first, so neither always meets a warm cache.
		if (i % 2 === 0) {
			const d = await direct();
			rounds.push({ direct: d, hearth: await viaHearth() });
		} else {
			const h = await viaHearth();
			rounds.push({ direct: await direct(), hearth: h });
		}
	}
	const added = rounds.map((r) => r.hearth.ttftMs - r.direct.ttftMs);
	const directCps = median(rounds.map((r) => r.direct.charsPerSecond));
	const hearthCps = median(rounds.map((r) => r.hearth.charsPerSecond));
	const ttft = (pick: (r: (typeof rounds)[number]) => Sample) => {
		const values = rounds.map((r) => pick(r).ttftMs);
		return `p50 ${fmt(median(values))} ms, p99 ${fmt(percentile(values, 99))} ms`;
	};
	console.log(
		[
			`/v1: ${ROUNDS} interleaved rounds, ${TOKENS} tokens each, streamed with include_usage, llama-server with the generated test model; Hearth: ${hearthRuntime()}`,
			`  time to first token, direct: ${ttft((r) => r.direct)}`,
			`  time to first token, Hearth /v1: ${ttft((r) => r.hearth)}`,
			`  added by Hearth /v1: p50 ${fmt(median(added), 2)} ms, p99 ${fmt(percentile(added, 99), 2)} ms (target ≤ 2 ms p50)`,
			`  streaming rate after the first token: direct ${fmt(directCps, 0)} chars/s, Hearth ${fmt(hearthCps, 0)} chars/s, ratio ${fmt(hearthCps / directCps, 3)}× (target ≥ 0.99×)`,
			`  llama-server's own speed in the direct rounds: ${fmt(median(rounds.map((r) => r.direct.upstreamTokensPerSecond)), 0)} tokens/s`,
			`  load average: ${os
				.loadavg()
				.map((l) => fmt(l, 2))
				.join(' ')}`
		].join('\n')
	);
});
