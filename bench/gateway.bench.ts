// Gateway overhead: time to first token and tokens/s through Hearth (enqueue → job → SSE) versus
// streaming directly from the same llama-server, interleaved round by round in one run.
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
import { fmt, median, percentile } from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const TOKENS = 256;
const PROMPT = [{ role: 'user', content: 'Tell me about the hearth.' }];

let llama: LlamaServer;
let hearth: HearthServer;
let client: ApiClient;
let conversationId: number;

beforeAll(async () => {
	llama = await startLlamaServer({ extraArgs: ['--ignore-eos'] });
	hearth = await startHearth({ LLAMA_URL: llama.url });
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
		`gateway: ${ROUNDS} interleaved rounds, ${TOKENS} tokens each, llama-server with the generated test model`,
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
	console.log(lines.join('\n'));
});
