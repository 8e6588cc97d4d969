// Case 1, load: many people chatting at once against the built server and a real llama-server —
// random message sizes and think times, edits, regenerates, searches — a third of them breaking
// their event stream mid-reply and resuming with Last-Event-ID. Nothing may be lost or doubled,
// no resumed text may have a gap or a repeat, no answer may be a 5xx.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { audit } from './audit';
import { chat, compareStreamed, newTally, seeded } from './chatting';
import { size } from './profile';
import { record, rssMb } from './table';
import { CLIENT_IP_HEADER, newTraffic, percentile, signInFrom } from './users';
import { startHearth, type HearthServer } from '../tests/support/hearth-server';
import { startLlamaServer, type LlamaServer } from '../tests/support/llama-server';

const USERS = size(12, 50);
const DURATION_MS = size(60_000, 10 * 60_000);
/** llama-server slots: enough that replies flow with every user waiting on one at times. */
const SLOTS = size(4, 8);
const SEED = 20;
const MEDIUM_MODEL = { embedding: 256, blocks: 4, heads: 4, feedForward: 512 };
/** After the deadline: the replies still being written get this long to end. */
const SETTLE_MS = size(60_000, 180_000);

let llama: LlamaServer | undefined;
let hearth: HearthServer | undefined;

beforeAll(async () => {
	// A model between the fast and the slow test model, with --ignore-eos: every reply streams for
	// a while, so a broken stream breaks in the middle of its text.
	llama = await startLlamaServer({
		parallel: SLOTS,
		contextSize: 2048,
		model: MEDIUM_MODEL,
		extraArgs: ['--ignore-eos']
	});
	hearth = await startHearth({ LLAMA_URL: llama.url, TRUST_PROXY_HEADER: CLIENT_IP_HEADER });
});

afterAll(async () => {
	await hearth?.stop();
	await llama?.stop();
});

test(`load: ${USERS} users chatting for ${DURATION_MS / 1000} s, a third resuming mid-reply`, async () => {
	const server = hearth!;
	const traffic = newTraffic();
	const tally = newTally();
	const random = seeded(SEED);
	const users = [];
	for (let i = 0; i < USERS; i++) {
		users.push(
			await signInFrom(server, `load${i}`, `10.20.${Math.floor(i / 200)}.${i % 200}`, traffic)
		);
	}
	const rssBefore = rssMb(server.process.pid!);
	const until = Date.now() + DURATION_MS;
	await Promise.all(
		users.map((client, i) =>
			chat(
				client,
				`load${i}`,
				i % 3 === 0,
				{
					until,
					thinkMs: size([200, 3_000], [500, 10_000]),
					messageChars: size([10, 400], [10, 2_000]),
					maxTokens: size([16, 48], [16, 128]),
					settleBy: until + SETTLE_MS,
					newConversation: 0.05
				},
				tally,
				traffic,
				seeded(SEED * 1000 + i + Math.floor(random() * 1000))
			)
		)
	);
	const settledS = Math.round((Date.now() - until) / 1000);
	const rssAfter = rssMb(server.process.pid!);
	const found = await audit(tally.accepted);
	const gaps = await compareStreamed(tally);
	const nonModel = Object.entries(traffic.latencies).filter(([kind]) => kind !== 'create');
	const p95 = (values: number[]) => `${Math.round(percentile(values, 95) ?? NaN)} ms`;
	const all = nonModel.flatMap(([, values]) => values);
	const row = record({
		fault: `load: ${USERS} users × ${DURATION_MS / 1000} s, ${Math.ceil(USERS / 3)} breaking streams mid-reply`,
		usersSaw:
			`${tally.accepted.length} messages (${tally.edits} edits), ${tally.regenerates} regenerates, ` +
			`${tally.replies} replies streamed (${tally.oneRequest} in the send's own request), ` +
			`${tally.drops} streams broken and resumed ` +
			`(${tally.splitResumes} split mid-text); replies ${JSON.stringify(found.states)}`,
		lost: found.lost,
		duplicated: found.duplicated,
		errors:
			traffic.serverErrors + traffic.networkErrors + gaps + found.unfinished + tally.unsettled,
		rssBeforeMb: rssBefore,
		rssAfterMb: rssAfter,
		notes:
			`p95 of non-model calls ${p95(all)} (${all.length} calls; ` +
			nonModel.map(([kind, values]) => `${kind} ${p95(values)}`).join(', ') +
			`); 5xx ${traffic.serverErrors}, network errors ${traffic.networkErrors}, ` +
			`gaps/repeats ${gaps}, failed actions ${tally.broken}, unfinished ${found.unfinished + tally.unsettled}, ` +
			`last replies ended ${settledS} s after the deadline, ` +
			`4xx ${JSON.stringify(traffic.clientErrors)}` +
			(traffic.samples.length + tally.samples.length
				? `; e.g. ${[...traffic.samples, ...tally.samples].slice(0, 3).join('; ')}`
				: '')
	});
	expect(row.lost).toBe(0);
	expect(row.duplicated).toBe(0);
	expect(traffic.serverErrors, traffic.samples.join('\n')).toBe(0);
	expect(traffic.networkErrors, traffic.samples.join('\n')).toBe(0);
	expect(gaps, tally.samples.join('\n')).toBe(0);
	expect(tally.broken, tally.samples.join('\n')).toBe(0);
	expect(found.unfinished + tally.unsettled).toBe(0);
	// The case exercised what it claims: replies flowed and resumes split text mid-reply.
	expect(tally.replies).toBeGreaterThan(USERS);
	expect(tally.splitResumes).toBeGreaterThan(0);
	expect(tally.edits + tally.regenerates).toBeGreaterThan(0);
});
