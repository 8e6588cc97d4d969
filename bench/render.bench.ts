// Rendering cost. (1) Streaming: a 64k-character reply fed to the incremental renderer in
// 16-character deltas, one update per delta (one per frame at worst), against one full render of
// the same text, in total parse work (lex, render, sanitize, highlight), in Chromium. Target ≤ 2×. (2) A 200-message, ~50k-token conversation opened in Debian's Chromium: time from
// navigation to the last screen drawn with its code highlighted, against a 2-message one in the
// same run. Target ≤ 300 ms.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { chromium } from '@playwright/test';
import { it } from 'vitest';
import { addUser, startHearth } from '../tests/support/hearth-server';
import { LAST_REPLY, markdownReply, random } from './corpus';
import { bundleForBrowser } from './bundle';
import { fmt, median, percentile, signInPage } from './support';

const STREAM_CHARS = 64_000;
const DELTA_CHARS = 16;
const ROUNDS = 7;

it('streaming a 64k-character reply: parse work against one full render', async () => {
	const text = markdownReply(random(7), STREAM_CHARS);
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu']
	});
	try {
		const page = await browser.newPage();
		await page.addScriptTag({
			content: await bundleForBrowser('bench/render-page.ts'),
			type: 'module'
		});
		await page.waitForFunction(() => 'hearthBench' in globalThis);
		const { full, streamed, work } = await page.evaluate(
			async ({ text, delta, rounds }) => {
				const bench = (
					globalThis as unknown as {
						hearthBench: {
							timeFull(text: string): Promise<number>;
							streamAll(text: string, delta: number): Promise<number>;
							work(): Record<string, number>;
						};
					}
				).hearthBench;
				await bench.timeFull(text); // grammars loaded, code warm, for both sides
				await bench.streamAll(text, delta);
				const full: number[] = [];
				const streamed: number[] = [];
				for (let i = 0; i < rounds; i++) {
					full.push(await bench.timeFull(text));
					streamed.push(await bench.streamAll(text, delta));
				}
				return { full, streamed, work: bench.work() };
			},
			{ text, delta: DELTA_CHARS, rounds: ROUNDS }
		);
		console.log(
			[
				`streaming render in Chromium, ${text.length} chars in ${DELTA_CHARS}-char deltas (${Math.ceil(text.length / DELTA_CHARS)} updates), ${ROUNDS} rounds:`,
				`  one full render: p50 ${fmt(median(full))} ms`,
				`  whole stream:    p50 ${fmt(median(streamed))} ms`,
				`  stream / full:   ${fmt(median(streamed) / median(full), 2)}×  (target ≤ 2×)`,
				`  stream work: ${JSON.stringify(work)}`
			].join('\n')
		);
	} finally {
		await browser.close();
	}
});

/** One conversation of `pairs` exchanges straight into SQLite; returns its id. */
function seedConversation(dataDir: string, username: string, pairs: number, seed: number): number {
	const db = new SQLite(path.join(dataDir, 'hearth.db'));
	const rand = random(seed);
	const user = db.prepare('select id from user where username = ?').get(username) as { id: number };
	const now = Date.now();
	const { id } = db
		.prepare(
			"insert into conversation (user_id, title, settings, created_at, updated_at) values (?, ?, '{}', ?, ?) returning id"
		)
		.get(user.id, `Long ${pairs}`, now, now) as { id: number };
	const insert = db.prepare(
		"insert into message (conversation_id, user_id, parent_id, role, content, status, created_at, updated_at) values (?, ?, ?, ?, ?, 'done', ?, ?) returning id"
	);
	let parent: number | null = null;
	let chars = 0;
	db.transaction(() => {
		for (let i = 0; i < pairs; i++) {
			const question = `Question ${i}: ${markdownReply(rand, 120).split('\n')[0]}`;
			const answer = i === pairs - 1 ? LAST_REPLY : markdownReply(rand, 1850);
			chars += question.length + answer.length;
			parent = (insert.get(id, user.id, parent, 'user', question, now, now) as { id: number }).id;
			parent = (insert.get(id, user.id, parent, 'assistant', answer, now, now) as { id: number })
				.id;
		}
	})();
	db.close();
	console.log(
		`  seeded conversation ${id}: ${pairs * 2} messages, ${chars} chars (~${Math.round(chars / 4)} tokens)`
	);
	return id;
}

it('a 200-message conversation in Chromium: time to the last screen', async () => {
	const server = await startHearth();
	addUser(server, 'renderer', 'renderer-password');
	const long = seedConversation(server.dataDir, 'renderer', 100, 11);
	const short = seedConversation(server.dataDir, 'renderer', 1, 12);
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu']
	});
	try {
		const page = await browser.newPage({ baseURL: server.url });
		await signInPage(page, 'renderer', 'renderer-password');

		/** Resolves once `articles` messages are drawn and the last one's code is highlighted. */
		const lastScreen = (articles: number) =>
			page.waitForFunction(
				(n) => {
					const all = document.querySelectorAll('article.message');
					return all.length === n && !!all[n - 1]?.querySelector('.tok-keyword');
				},
				articles,
				{ polling: 'raf', timeout: 10_000 }
			);
		const LONG_SHOWN = 40; // the first page of a long conversation (the DOM stays bounded)
		/** ms from a fresh page load to the last screen. */
		const load = async (id: number, articles: number) => {
			await page.goto('/');
			const started = performance.now();
			await page.goto(`/c/${id}`, { waitUntil: 'commit' });
			await lastScreen(articles);
			return performance.now() - started;
		};
		/**
		 * ms from a click in the conversation list to the last screen, the app already running;
		 * clicked and timed inside the page, so the test driver's own latency is not counted.
		 */
		const open = (id: number, articles: number) =>
			page.evaluate(
				({ id, articles }) =>
					new Promise<number>((resolve, reject) => {
						const started = performance.now();
						document.querySelector<HTMLElement>(`a[href="/c/${id}"]`)!.click();
						const check = () => {
							const all = document.querySelectorAll('article.message');
							const done =
								location.pathname === `/c/${id}` &&
								all.length === articles &&
								!!all[articles - 1]?.querySelector('.tok-keyword');
							if (done) resolve(performance.now() - started);
							else requestAnimationFrame(check);
						};
						requestAnimationFrame(check);
						setTimeout(() => reject(new Error('no last screen within 10 s')), 10_000);
					}),
				{ id, articles }
			);
		await load(long, LONG_SHOWN); // warm: grammar chunk and device cache
		await load(short, 2);
		const loads = { long: [] as number[], short: [] as number[] };
		const opens = { long: [] as number[], short: [] as number[] };
		for (let i = 0; i < ROUNDS * 2; i++) {
			loads.long.push(await load(long, LONG_SHOWN));
			loads.short.push(await load(short, 2));
		}
		await page.goto(`/c/${short}`);
		await lastScreen(2);
		for (let i = 0; i < ROUNDS * 2; i++) {
			opens.long.push(await open(long, LONG_SHOWN));
			opens.short.push(await open(short, 2));
		}
		const dom = await page.evaluate(() => document.querySelectorAll('*').length);
		await page.goto(`/c/${long}`);
		await page.locator('article.message').first().waitFor();
		const longDom = await page.evaluate(() => ({
			nodes: document.querySelectorAll('*').length,
			articles: document.querySelectorAll('article.message').length
		}));
		console.log(
			[
				`long conversation in Chromium, ${ROUNDS * 2} rounds each (interleaved), to the last screen with code highlighted:`,
				`  opened from the list, 200 messages: p50 ${fmt(median(opens.long))} ms, p95 ${fmt(percentile(opens.long, 95))} ms  (target ≤ 300 ms)`,
				`  opened from the list, 2 messages:   p50 ${fmt(median(opens.short))} ms, p95 ${fmt(percentile(opens.short, 95))} ms`,
				`  200 / 2 p50: ${fmt(median(opens.long) / median(opens.short), 2)}×`,
				`  fresh page load, 200 messages: p50 ${fmt(median(loads.long))} ms, p95 ${fmt(percentile(loads.long, 95))} ms`,
				`  fresh page load, 2 messages:   p50 ${fmt(median(loads.short))} ms, p95 ${fmt(percentile(loads.short, 95))} ms`,
				`  DOM: ${longDom.articles} message elements, ${longDom.nodes} nodes (2-message page: ${dom} nodes)`
			].join('\n')
		);
	} finally {
		await browser.close();
		await server.stop();
	}
});
