// Case 2, soak: steady chatting for a long while (ci: a minute, full: an hour). After a warm-up,
// the server's memory may not creep (≤ 10 MB over the hour), its open file descriptors must stay
// level, and SQLite's write-ahead log must be checkpointed back into the database rather than grow
// with time. Nothing sent may be lost or doubled.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { audit } from './audit';
import { chat, compareStreamed, newTally, seeded } from './chatting';
import { readHistory, seedHistory } from './history';
import { PROFILE, size } from './profile';
import { openFds, record, rssMb } from './table';
import { CLIENT_IP_HEADER, newTraffic, percentile, signInCounted, signInFrom } from './users';
import { startHearth, type HearthServer } from '../tests/support/hearth-server';
import { startLlamaServer, type LlamaServer } from '../tests/support/llama-server';

const USERS = size(4, 8);
/** FAULTS_SOAK_MINUTES shortens (or lengthens) the full profile's hour, e.g. for a trial run. */
const DURATION_MS = size(60_000, Number(process.env.FAULTS_SOAK_MINUTES ?? 60) * 60_000);
const WARM_UP_MS = size(15_000, 5 * 60_000);
const SAMPLE_MS = size(1_000, 15_000);
const SETTLE_MS = 30_000;
const SEED = 21;
const MB = 1024 * 1024;
/** The bound on memory growth after the warm-up (asserted in the full profile). */
const RSS_GROWTH_LIMIT_MB = 10;
/** SQLite checkpoints the WAL at 1,000 pages (4 MiB); twice that is room for one large write. */
const WAL_LIMIT_BYTES = 8 * MB;
/** Open descriptors may vary by the connections in flight (each user: a request and a stream). */
const FD_SLACK = 2 * USERS + 8;
/** The soak reads the server's own heap figures from /metrics, to tell a JS leak from native memory. */
const METRICS_TOKEN = 'soak-metrics-token-0123456789';
/**
 * Messages in the history imported before the start (full: a database well over SQLite's 32 MB page
 * cache, so the cache is full before the measured window, as on a server used for months).
 */
const HISTORY_MESSAGES = size(2_000, 40_000);
const HISTORY_USER = 'history';
const HISTORY_PASSWORD = 'history-password';

let llama: LlamaServer | undefined;
let hearth: HearthServer | undefined;
let history: { conversations: number; dbBytes: number } | undefined;

beforeAll(async () => {
	llama = await startLlamaServer({ parallel: 2, contextSize: 2048, extraArgs: ['--ignore-eos'] });
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-soak-'));
	history = await seedHistory(dataDir, HISTORY_USER, HISTORY_PASSWORD, HISTORY_MESSAGES);
	hearth = await startHearth(
		{ LLAMA_URL: llama.url, TRUST_PROXY_HEADER: CLIENT_IP_HEADER, METRICS_TOKEN },
		dataDir
	);
}, 15 * 60_000);

afterAll(async () => {
	await hearth?.stop();
	await llama?.stop();
});

interface Sample {
	at: number;
	rssMb: number | null;
	fds: number | null;
	walBytes: number;
	dbBytes: number;
	/** V8's heap in use and memory held outside it (Buffers), from /metrics; null if unread. */
	heapMb: number | null;
	externalMb: number | null;
}

/** The server's JS heap in use and its external memory (MB), as prom-client reports them. */
async function heapFigures(url: string) {
	try {
		const res = await fetch(`${url}/metrics`, {
			headers: { authorization: `Bearer ${METRICS_TOKEN}` }
		});
		const text = await res.text();
		const read = (name: string) => {
			const value = Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]);
			return Number.isFinite(value) ? Math.round((value / MB) * 10) / 10 : null;
		};
		return {
			heapMb: read('nodejs_heap_size_used_bytes'),
			externalMb: read('nodejs_external_memory_bytes')
		};
	} catch {
		return { heapMb: null, externalMb: null };
	}
}

const fileSize = (file: string) => {
	try {
		return fs.statSync(file).size;
	} catch {
		return 0;
	}
};

test(`soak: ${USERS} users chatting steadily for ${DURATION_MS / 60_000} min`, async () => {
	const server = hearth!;
	const pid = server.process.pid!;
	const dbFile = path.join(server.dataDir, 'hearth.db');
	const traffic = newTraffic();
	const tally = newTally();
	const reader = await signInCounted(server, HISTORY_USER, HISTORY_PASSWORD, '10.21.1.1', traffic);
	const historyRead = await readHistory(reader);
	const users = [];
	for (let i = 0; i < USERS; i++)
		users.push(await signInFrom(server, `soak${i}`, `10.21.0.${i + 1}`, traffic));

	const started = Date.now();
	const until = started + DURATION_MS;
	const samples: Sample[] = [];
	const sample = async () => {
		const at = Date.now() - started;
		const figures = { rssMb: rssMb(pid), fds: openFds(pid) };
		const files = { walBytes: fileSize(`${dbFile}-wal`), dbBytes: fileSize(dbFile) };
		samples.push({ at, ...figures, ...files, ...(await heapFigures(server.url)) });
	};
	await sample();
	const sampling: Promise<void>[] = [];
	const sampler = setInterval(() => sampling.push(sample()), SAMPLE_MS);
	try {
		await Promise.all(
			users.map((client, i) =>
				chat(
					client,
					`soak${i}`,
					i === 0,
					{
						until,
						thinkMs: size([200, 1_500], [500, 5_000]),
						messageChars: [10, 600],
						maxTokens: [16, 64],
						settleBy: until + SETTLE_MS,
						newConversation: 0.1
					},
					tally,
					traffic,
					seeded(SEED * 1000 + i)
				)
			)
		);
	} finally {
		clearInterval(sampler);
		await Promise.all(sampling);
	}
	await sample();
	samples.sort((a, b) => a.at - b.at);

	const series = samples
		.filter((_, i) => i % Math.ceil(samples.length / 20) === 0 || i === samples.length - 1)
		.map(
			(s) =>
				`${Math.round(s.at / 1000)}s ${s.rssMb}MB ${s.fds}fd ${(s.walBytes / MB).toFixed(1)}MB-wal ` +
				`${s.heapMb}MB-heap ${s.externalMb}MB-ext`
		);
	process.stdout.write(`soak samples: ${series.join(', ')}\n`);
	const steady = samples.filter((s) => s.at >= WARM_UP_MS);
	const first = steady[0]!;
	const last = samples.at(-1)!;
	const maxOf = (pick: (s: Sample) => number | null) =>
		Math.max(...samples.map((s) => pick(s) ?? 0));
	const maxWal = maxOf((s) => s.walBytes);
	const maxFds = Math.max(...steady.map((s) => s.fds ?? 0));
	// Memory breathes with garbage collection: compare the medians of the steady window's first and
	// last tenth rather than two single samples.
	const tenth = Math.max(1, Math.floor(steady.length / 10));
	const rssEarly = percentile(
		steady.slice(0, tenth).map((s) => s.rssMb ?? 0),
		50
	)!;
	const rssLate = percentile(
		steady.slice(-tenth).map((s) => s.rssMb ?? 0),
		50
	)!;
	const rssGrowth = rssLate - rssEarly;
	const median = (from: Sample[], pick: (s: Sample) => number | null) =>
		percentile(
			from.map((s) => pick(s) ?? 0),
			50
		)!;
	const heapEarly = median(steady.slice(0, tenth), (s) => s.heapMb);
	const heapLate = median(steady.slice(-tenth), (s) => s.heapMb);
	const found = await audit(tally.accepted);
	const gaps = await compareStreamed(tally);
	const all = Object.entries(traffic.latencies)
		.filter(([kind]) => kind !== 'create')
		.flatMap(([, values]) => values);
	const row = record({
		fault: `soak: ${USERS} users × ${DURATION_MS / 60_000} min (warm-up ${WARM_UP_MS / 1000} s)`,
		usersSaw:
			`${tally.accepted.length} messages, ${tally.replies} replies streamed ` +
			`(${tally.drops} resumed); replies ${JSON.stringify(found.states)}`,
		lost: found.lost,
		duplicated: found.duplicated,
		errors:
			traffic.serverErrors + traffic.networkErrors + gaps + found.unfinished + tally.unsettled,
		rssBeforeMb: first.rssMb,
		rssAfterMb: last.rssMb,
		notes:
			`RSS after warm-up (median of first/last tenth) ${rssEarly} → ${rssLate} MB ` +
			`(growth ${rssGrowth.toFixed(1)} MB, ` +
			`peak ${maxOf((s) => s.rssMb)} MB); JS heap in use ${heapEarly} → ${heapLate} MB; open fds ${first.fds} → ${last.fds} (max ${maxFds}); ` +
			`WAL max ${(maxWal / MB).toFixed(2)} MB, at end ${(last.walBytes / MB).toFixed(2)} MB; ` +
			`database ${(samples[0]!.dbBytes / MB).toFixed(2)} → ${(last.dbBytes / MB).toFixed(2)} MB ` +
			`(a history of ${HISTORY_MESSAGES} messages imported first, ${(history!.dbBytes / MB).toFixed(1)} MB, ` +
			`read once: a ${(historyRead / MB).toFixed(1)} MB export ZIP and searches); ` +
			`p95 of list/search/read ${Math.round(percentile(all, 95) ?? NaN)} ms; ` +
			`5xx ${traffic.serverErrors}, network errors ${traffic.networkErrors}, gaps/repeats ${gaps}, ` +
			`failed actions ${tally.broken}` +
			(traffic.samples.length + tally.samples.length
				? `; e.g. ${[...traffic.samples, ...tally.samples].slice(0, 3).join('; ')}`
				: '')
	});
	expect(row.lost).toBe(0);
	expect(row.duplicated).toBe(0);
	expect(traffic.serverErrors + traffic.networkErrors, traffic.samples.join('\n')).toBe(0);
	expect(gaps, tally.samples.join('\n')).toBe(0);
	expect(tally.broken, tally.samples.join('\n')).toBe(0);
	expect(found.unfinished + tally.unsettled).toBe(0);
	expect(maxWal).toBeLessThanOrEqual(WAL_LIMIT_BYTES);
	expect(maxFds).toBeLessThanOrEqual((first.fds ?? 0) + FD_SLACK);
	expect(last.fds).toBeLessThanOrEqual((first.fds ?? 0) + FD_SLACK);
	if (PROFILE === 'full') {
		expect(rssGrowth).toBeLessThanOrEqual(RSS_GROWTH_LIMIT_MB);
		// An hour of chatting writes far more than the WAL holds: it went back into the database.
		expect(last.dbBytes).toBeGreaterThan(samples[0]!.dbBytes);
	}
	expect(tally.replies).toBeGreaterThan(USERS);
});
