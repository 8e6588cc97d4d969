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

/** Signs in through the login form and waits for the chat page. */
export async function signInPage(page: Page, username: string, password: string) {
	await page.goto('/login');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await page.waitForURL((url) => url.pathname === '/');
}
