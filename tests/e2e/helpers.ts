import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import type { WindowLike } from 'dompurify';
import { JSDOM } from 'jsdom';
import { createSanitizer } from '$lib/client/markdown/sanitize';
import { renderMarkdown } from '$lib/client/markdown/stream';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };

/** Submits the sign-in form and waits until it settled: navigated away, or an error shown. */
export async function signIn(page: Page, username: string, password: string) {
	await page.goto('/login');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(async () => {
		const left = new URL(page.url()).pathname !== '/login';
		expect(left || (await page.getByRole('alert').isVisible())).toBe(true);
	}).toPass({ timeout: 10_000 });
}

/** Opens the header's ⋯ menu (settings, admin, theme, sign out). */
export async function openMenu(page: Page) {
	await page.getByTestId('menu-button').click();
	await expect(page.getByTestId('app-menu')).toBeVisible();
}

export async function expectSignedInAs(page: Page, username: string) {
	await expect(page.getByTestId('signed-in-as')).toHaveText(username);
}

/** Runs the `hearth` CLI against the e2e server's data folder. */
export function hearthCli(args: string[], input?: string) {
	return spawnSync(process.execPath, ['bin/hearth.js', ...args], {
		input,
		encoding: 'utf8',
		env: {
			...process.env,
			DATA_DIR: process.env.HEARTH_E2E_DATA,
			DATABASE_URL: '',
			LOG_LEVEL: 'warn'
		}
	});
}

/** Creates a user through the CLI; a worker restarted after a failure may find it there already. */
export function ensureUser(username: string, password: string, admin = false) {
	const add = hearthCli(
		['user', 'add', username, ...(admin ? ['--admin'] : []), '--password-stdin'],
		password
	);
	expect(add.status === 0 || /taken/.test(add.stderr), add.stderr).toBe(true);
}

/** Adds an OpenAI-compatible provider through the admin page (the page must be signed in as admin). */
export async function addProvider(
	page: Page,
	key: string,
	name: string,
	baseUrl: string,
	allowInternal: boolean
) {
	await page.goto('/admin/providers');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' }); // hydrated: fills stick
	const form = page.locator('section', {
		has: page.getByRole('heading', { name: 'Add a provider' })
	});
	await form.getByLabel('Type').selectOption('openai_compatible');
	await form.getByLabel('Name').fill(name);
	await form.getByLabel('Base URL').fill(baseUrl);
	await form.getByLabel('API key').fill(key);
	if (allowInternal) await form.getByLabel(/private network/).check();
	await form.getByRole('button', { name: 'Add provider' }).click();
	await expect(page.getByRole('status')).toHaveText('Saved.');
}

/** The text a reply shows once rendered: Hearth's own renderer and sanitizer, run in jsdom. */
export function renderedText(markdown: string): string {
	const { window } = new JSDOM('');
	const body = window.document.createElement('div');
	body.innerHTML = renderMarkdown(markdown, createSanitizer(window as unknown as WindowLike));
	return body.textContent ?? '';
}

/**
 * A 390×844 look at a screen: into the test's output folder, or into `HEARTH_SCREENSHOTS`
 * (`HEARTH_SCREENSHOTS=docs/phone npx playwright test` refreshes the README's pictures).
 */
export async function saveScreenshot(page: Page, name: string, fullPage = false) {
	const dir = process.env.HEARTH_SCREENSHOTS;
	if (dir) fs.mkdirSync(dir, { recursive: true });
	const file = dir ? path.join(dir, `${name}.png`) : test.info().outputPath(`${name}.png`);
	await page.screenshot({ path: file, fullPage });
}
