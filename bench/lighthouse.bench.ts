// Lighthouse (mobile preset, simulated throttling) in Debian's Chromium on two signed-in pages:
// the conversation list (`/` with 20 conversations) and an open 50-message conversation
// (`/c/<id>`). Prints the performance, accessibility and best-practices scores and the cumulative
// layout shift of each against the phone issue's targets; asserts nothing.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { chromium } from '@playwright/test';
import lighthouse from 'lighthouse';
import { it } from 'vitest';
import { addUser, signIn, startHearth } from '../tests/support/hearth-server';
import { startLlamaServer } from '../tests/support/llama-server';
import { freePort } from '../tests/support/ports';
import { markdownReply, random, words } from './corpus';
import { fmt } from './support';

const CONVERSATIONS = 20;
const MESSAGES = 50;
const REPLY_CHARS = 1_200;
const TARGETS = { performance: 95, accessibility: 100, bestPractices: 100, cls: 0.02 };
/** Lighthouse sometimes loses the trace on a loaded machine (NO_NAVSTART and the like). */
const TRACE_ATTEMPTS = 3;
/** How many entries of the main-thread and script breakdowns to print. */
const BREAKDOWN_ROWS = 5;

/** 20 conversations straight into SQLite; the newest holds 50 messages. Returns its id. */
function seed(dataDir: string, username: string): number {
	const db = new SQLite(path.join(dataDir, 'hearth.db'));
	const user = db.prepare('select id from user where username = ?').get(username) as { id: number };
	const insertConversation = db.prepare(
		"insert into conversation (user_id, title, settings, created_at, updated_at) values (?, ?, '{}', ?, ?) returning id"
	);
	const insertMessage = db.prepare(
		"insert into message (conversation_id, user_id, parent_id, role, content, status, created_at, updated_at) values (?, ?, ?, ?, ?, 'done', ?, ?) returning id"
	);
	const rand = random(13);
	const now = Date.now();
	let open = 0;
	db.transaction(() => {
		for (let c = CONVERSATIONS - 1; c >= 0; c--) {
			const at = now - c * 60_000;
			const title = `${words(rand, 3 + (c % 5))} ${c}`;
			const { id } = insertConversation.get(user.id, title, at, at) as { id: number };
			const count = c === 0 ? MESSAGES : 2;
			let parent: number | null = null;
			for (let m = 0; m < count; m++) {
				const role = m % 2 === 0 ? 'user' : 'assistant';
				const text = role === 'user' ? `${words(rand, 20)}?` : markdownReply(rand, REPLY_CHARS);
				parent = (insertMessage.get(id, user.id, parent, role, text, at, at) as { id: number }).id;
			}
			if (c === 0) open = id;
		}
	})();
	db.close();
	return open;
}

interface Figures {
	performance: number;
	accessibility: number;
	bestPractices: number;
	cls: number;
	metrics: string;
	/** Where the main thread's time went at load, to know what to cut. */
	breakdown: string[];
	shifts: string[];
	failing: string[];
}

type Result = NonNullable<Awaited<ReturnType<typeof lighthouse>>>;

async function run(url: string, port: number, cookie: string): Promise<Result['lhr']> {
	for (let attempt = 1; ; attempt++) {
		const result = await lighthouse(url, {
			port,
			output: 'json',
			logLevel: 'error',
			onlyCategories: ['performance', 'accessibility', 'best-practices'],
			extraHeaders: { Cookie: cookie }
		});
		if (!result) throw new Error(`lighthouse returned nothing for ${url}`);
		const { lhr } = result;
		if (!lhr.runtimeError) {
			const keep = process.env.LIGHTHOUSE_JSON;
			if (keep) {
				const name = new URL(url).pathname.replace(/\W+/g, '_') || 'root';
				fs.writeFileSync(
					path.join(keep, `trace${name}.json`),
					JSON.stringify(result.artifacts.Trace)
				);
			}
			return lhr;
		}
		if (attempt >= TRACE_ATTEMPTS) throw new Error(`lighthouse: ${lhr.runtimeError.message}`);
		console.log(`lighthouse: ${lhr.runtimeError.code} on ${url}, again (${attempt})`);
	}
}

/** The largest rows of a table audit (main-thread work by category, script boot-up time). */
function rows(lhr: Result['lhr'], id: string, label: (item: Record<string, unknown>) => string) {
	const items = (lhr.audits[id]?.details as { items?: Record<string, unknown>[] })?.items ?? [];
	return items.slice(0, BREAKDOWN_ROWS).map(label).join(', ');
}

/** The largest contentful paint's element (the audit nests a table of it in a list). */
function lcpElement(lhr: Result['lhr']): string {
	const details = lhr.audits['largest-contentful-paint-element']?.details as
		{ items?: { items?: { node?: { snippet?: string } }[] }[] } | undefined;
	return details?.items?.[0]?.items?.[0]?.node?.snippet ?? '?';
}

/** Requests that finished by the observed LCP, in order: what the first screen waited for. */
function requestsBeforeLcp(lhr: Result['lhr']): string {
	const lcpAt = lhr.audits['largest-contentful-paint']?.numericValue ?? NaN;
	const observed = (
		lhr.audits['metrics']?.details as { items?: { observedLargestContentfulPaint?: number }[] }
	)?.items?.[0]?.observedLargestContentfulPaint;
	const until = observed ?? lcpAt;
	const items =
		(
			lhr.audits['network-requests']?.details as {
				items?: { url: string; networkRequestTime: number; networkEndTime: number }[];
			}
		)?.items ?? [];
	return items
		.filter((item) => item.networkRequestTime <= until)
		.map(
			(item) =>
				`${item.url.replace(/^https?:\/\/[^/]+/, '').replace(/^\/_app\/immutable\//, '')} ${Math.round(item.networkRequestTime)}–${Math.round(item.networkEndTime)}`
		)
		.join(', ');
}

async function audit(url: string, port: number, cookie: string): Promise<Figures> {
	const lhr = await run(url, port, cookie);
	// LIGHTHOUSE_JSON=<dir>: keep each page's full report to read the trace-based audits.
	const keep = process.env.LIGHTHOUSE_JSON;
	if (keep) {
		const name = new URL(url).pathname.replace(/\W+/g, '_') || 'root';
		fs.writeFileSync(path.join(keep, `lighthouse${name}.json`), JSON.stringify(lhr));
	}
	const score = (id: string) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
	// Audits that cost points outside performance, to know what to fix.
	const failing = ['accessibility', 'best-practices'].flatMap((id) =>
		(lhr.categories[id]?.auditRefs ?? [])
			.filter((ref) => ref.weight > 0 && (lhr.audits[ref.id]?.score ?? 1) < 1)
			.map((ref) => {
				const items =
					(
						lhr.audits[ref.id]?.details as {
							items?: { node?: { selector?: string; snippet?: string } }[];
						}
					)?.items ?? [];
				const nodes = items
					.slice(0, 3)
					.map((item) => item.node?.snippet ?? item.node?.selector ?? '');
				return `${id}: ${ref.id} ${nodes.join(' | ')}`;
			})
	);
	const ms = (id: string) => Math.round(lhr.audits[id]?.numericValue ?? NaN);
	const metrics = `FCP ${ms('first-contentful-paint')} ms, LCP ${ms('largest-contentful-paint')} ms, TBT ${ms('total-blocking-time')} ms, SI ${ms('speed-index')} ms`;
	const shifts = (
		(
			lhr.audits['layout-shifts']?.details as {
				items?: { node?: { snippet?: string }; score?: number }[];
			}
		)?.items ?? []
	).map((item) => `${item.node?.snippet ?? '?'} ${fmt(item.score ?? 0, 3)}`);
	const breakdown = [
		`main thread: ${rows(lhr, 'mainthread-work-breakdown', (i) => `${i.groupLabel} ${Math.round(i.duration as number)} ms`)}`,
		`scripts: ${rows(lhr, 'bootup-time', (i) => `${String(i.url).replace(/^https?:\/\/[^/]+/, '')} ${Math.round(i.scripting as number)} ms`)}`,
		`LCP element: ${lcpElement(lhr)}`,
		`requests before the observed LCP (ms, unthrottled): ${requestsBeforeLcp(lhr)}`,
		`long tasks: ${rows(lhr, 'long-tasks', (i) => `${String(i.url).replace(/^https?:\/\/[^/]+/, '')} ${Math.round(i.duration as number)} ms`)}`
	];
	return {
		performance: score('performance'),
		accessibility: score('accessibility'),
		bestPractices: score('best-practices'),
		cls: lhr.audits['cumulative-layout-shift']?.numericValue ?? NaN,
		metrics,
		breakdown,
		shifts,
		failing
	};
}

function report(name: string, f: Figures): string {
	const mark = (ok: boolean) => (ok ? 'ok' : 'BELOW TARGET');
	return [
		`${name}:`,
		`  performance    ${f.performance}  (target ≥ ${TARGETS.performance}) ${mark(f.performance >= TARGETS.performance)}`,
		`  accessibility  ${f.accessibility}  (target ${TARGETS.accessibility}) ${mark(f.accessibility >= TARGETS.accessibility)}`,
		`  best practices ${f.bestPractices}  (target ${TARGETS.bestPractices}) ${mark(f.bestPractices >= TARGETS.bestPractices)}`,
		`  CLS            ${fmt(f.cls, 3)}  (target ≤ ${TARGETS.cls}) ${mark(f.cls <= TARGETS.cls)}`,
		`  ${f.metrics}`,
		...f.breakdown.map((line) => `  ${line}`),
		...f.shifts.map((shift) => `  layout shift: ${shift}`),
		...f.failing.map((audit) => `  failing audit: ${audit}`)
	].join('\n');
}

it('lighthouse, mobile: conversation list and a 50-message conversation', async () => {
	const llama = await startLlamaServer();
	const server = await startHearth({ LLAMA_URL: llama.url });
	addUser(server, 'bench', 'bench-password');
	const open = seed(server.dataDir, 'bench');
	const { cookie } = await signIn(server, 'bench', 'bench-password');
	const port = await freePort();
	const browser = await chromium.launch({
		executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--no-first-run',
			`--remote-debugging-port=${port}`
		]
	});
	try {
		const list = await audit(`${server.url}/`, port, cookie);
		const conversation = await audit(`${server.url}/c/${open}`, port, cookie);
		console.log(
			[
				'lighthouse 12, mobile preset (simulated throttling), Debian Chromium:',
				report(`conversation list (/, ${CONVERSATIONS} conversations)`, list),
				report(`open conversation (/c/<id>, ${MESSAGES} messages)`, conversation)
			].join('\n')
		);
	} finally {
		await browser.close();
		await server.stop();
		await llama.stop();
	}
});
