// Small helpers shared by the benchmarks: percentiles and a process's resident memory.
import fs from 'node:fs';
import type { Page } from '@playwright/test';

export function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (values: number[]) => percentile(values, 50);

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
	return Math.round((kb / 1024) * 10) / 10;
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);

/**
 * The launcher the benches start Hearth with (`startHearth`'s last argument): as built here, under
 * the Node running the bench; or, with BENCH_RELEASE set, from that release folder under the Node
 * binary BENCH_NODE — Node 24 as in the Docker image, from
 * `NODE24_RELEASE=<dir> bash scripts/node24-smoke.sh`, which leaves its release and prints the
 * binary's path. `prefix` goes first (e.g. `taskset -c 0`).
 */
export function hearthLauncher(prefix: string[] = []): string[] {
	const release = process.env.BENCH_RELEASE;
	if (!release) return prefix;
	// $0 the release, $1 its Node, $2 the Node startHearth names (replaced), then hearth's arguments.
	const run = 'cd "$0" && exec "$1" "${@:3}"';
	return [...prefix, 'bash', '-c', run, release, process.env.BENCH_NODE ?? 'node'];
}

/** Which server the bench measured, for its printout. */
export function hearthRuntime(): string {
	return process.env.BENCH_RELEASE
		? `release ${process.env.BENCH_RELEASE} under ${process.env.BENCH_NODE ?? 'node'}`
		: `this build under Node ${process.versions.node}`;
}

/** Signs in through the login form and waits for the chat page. */
export async function signInPage(page: Page, username: string, password: string) {
	await page.goto('/login');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL((url) => url.pathname === '/');
}
