// Fan-out: 50 concurrent reply jobs, each with an SSE subscriber, against a local OpenAI-style
// upstream that streams at full speed (so Hearth, not the model, is what is measured). Prints
// delivered tokens/s, errors, and the server's RSS idle and under load.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, it } from 'vitest';
import type { SendResultDto } from '$lib/shared/dto';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../tests/support/hearth-server';
import { fmt, rssMb } from './support';

const STREAMS = Number(process.env.BENCH_STREAMS ?? 50);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 2_000);
const PER_USER = 4;

let upstream: http.Server;
let hearth: HearthServer;

/** An upstream that looks like llama-server (props, models, chat) and streams as fast as it can. */
function startUpstream(): Promise<string> {
	upstream = http.createServer((req, res) => {
		if (req.url === '/props')
			return res.end(
				JSON.stringify({ total_slots: 64, default_generation_settings: { n_ctx: 8192 } })
			);
		if (req.url === '/v1/models')
			return res.end(
				JSON.stringify({
					object: 'list',
					data: [{ id: 'fast', object: 'model', created: 0, owned_by: 'bench' }]
				})
			);
		res.writeHead(200, { 'content-type': 'text/event-stream' });
		let i = 0;
		const chunk = (delta: object, finish: string | null = null) =>
			`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'fast', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
		const pump = () => {
			while (i < TOKENS) {
				i++;
				if (!res.write(chunk({ content: ` tok${i}` }))) return void res.once('drain', pump);
			}
			res.write(chunk({}, 'length'));
			res.write(
				`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'fast', choices: [], usage: { prompt_tokens: 10, completion_tokens: TOKENS } })}\n\n`
			);
			res.end('data: [DONE]\n\n');
		};
		req.resume();
		req.on('end', pump);
	});
	return new Promise((resolve) =>
		upstream.listen(0, '127.0.0.1', () =>
			resolve(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)
		)
	);
}

beforeAll(async () => {
	hearth = await startHearth({ LLAMA_URL: await startUpstream() });
});
afterAll(async () => {
	await hearth?.stop();
	upstream?.close();
});

it('fan-out under load', async () => {
	const users = Math.ceil(STREAMS / PER_USER);
	const clients: ApiClient[] = [];
	for (let u = 0; u < users; u++) {
		addUser(hearth, `fan${u}`, 'fan-password');
		clients.push(await signIn(hearth, `fan${u}`, 'fan-password'));
	}
	const conversations = await Promise.all(
		clients.map(
			async (c) => (await c.json<{ id: number }>('POST', '/api/conversations', {})).body.id
		)
	);
	await new Promise((r) => setTimeout(r, 1_000));
	const idle = rssMb(hearth.process.pid!);

	let peak = idle;
	const sampler = setInterval(() => (peak = Math.max(peak, rssMb(hearth.process.pid!))), 50);
	let delivered = 0;
	let errors = 0;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: STREAMS }, async (_, n) => {
			const client = clients[n % users]!;
			const sent = await client.json<SendResultDto>(
				'POST',
				`/api/conversations/${conversations[n % users]}/messages`,
				{ content: 'go', parentId: null }
			);
			if (sent.status !== 202) {
				errors++;
				return;
			}
			for await (const event of await client.events(sent.body.job.id)) {
				if (event.event === 'delta')
					delivered +=
						((JSON.parse(event.data) as { text?: string }).text ?? '').split('tok').length - 1;
				else if (event.event === 'error') {
					errors++;
					break;
				} else if (event.event === 'done') break;
			}
		})
	);
	const seconds = (performance.now() - started) / 1000;
	clearInterval(sampler);
	console.log(
		[
			`fan-out: ${STREAMS} concurrent jobs × ${TOKENS} tokens, one SSE subscriber each, full-speed local upstream`,
			`  delivered ${delivered} of ${STREAMS * TOKENS} tokens in ${fmt(seconds, 2)} s = ${fmt(delivered / seconds, 0)} tokens/s, errors: ${errors}`,
			`  server RSS: idle ${fmt(idle)} MB, peak under load ${fmt(peak)} MB (targets ≤ 120 / ≤ 200)`
		].join('\n')
	);
});
