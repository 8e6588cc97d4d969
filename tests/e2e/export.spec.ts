// Moving out, on a phone: a conversation exported as PDF from its ⋯ menu (text read back with
// pdftotext) and all of a user's data downloaded from Settings as a ZIP (entries read back).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';
import { expect, request as playwrightRequest, test } from '@playwright/test';
import { ensureUser, saveScreenshot, signIn } from './helpers';

const USER = { username: 'exporter', password: 'exporter-password-1' };
const TITLE = 'Moving plans for export';
const CODE_LINE = 'const boxes = 12;';
const CONTENT = [
	'## Packing list',
	'',
	'```js',
	CODE_LINE,
	'```',
	'',
	'| Room | Boxes |',
	'| --- | --- |',
	'| kitchen | 5 |'
].join('\n');
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

let conversationId: number;

test.beforeAll(async ({ baseURL }) => {
	ensureUser(USER.username, USER.password);
	const api = await playwrightRequest.newContext({
		baseURL,
		extraHTTPHeaders: { origin: baseURL! }
	});
	expect((await api.post('/api/auth/login', { data: USER })).status()).toBe(200);
	const created = await api.post('/api/conversations', { data: { title: TITLE } });
	conversationId = ((await created.json()) as { id: number }).id;
	const sent = await api.post(`/api/conversations/${conversationId}/messages`, {
		data: { content: CONTENT, maxTokens: 8 }
	});
	expect(sent.status()).toBe(202);
	// The reply (from the test llama-server) is finished before anything is exported.
	await expect
		.poll(async () => {
			const res = await api.get(`/api/conversations/${conversationId}`);
			const { messages } = (await res.json()) as { messages: { role: string; status: string }[] };
			return messages.find((m) => m.role === 'assistant')?.status;
		})
		.toBe('done');
	await api.dispose();
});

test('phone: export a conversation as PDF from its ⋯ menu; the PDF holds its text', async ({
	browser
}) => {
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	await page.goto('/');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	// On a phone the conversations are in the drawer.
	await page.getByTestId('drawer-button').tap();
	await page.getByLabel(`Actions for ${TITLE}`).tap();
	const pdfLink = page.getByRole('link', { name: 'Export as PDF' });
	await expect(pdfLink).toBeVisible();
	await expect(page.getByRole('link', { name: 'Export as Markdown' })).toBeVisible();
	await expect(page.getByRole('link', { name: 'Export as JSON' })).toBeVisible();
	await saveScreenshot(page, 'export');

	const [download] = await Promise.all([page.waitForEvent('download'), pdfLink.tap()]);
	expect(download.suggestedFilename()).toBe('Moving-plans-for-export.pdf');
	const path = test.info().outputPath('conversation.pdf');
	await download.saveAs(path);
	const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
	expect(text).toContain(TITLE);
	expect(text).toMatch(/Created \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
	expect(text).toContain('Packing list');
	expect(text).toContain(CODE_LINE);
	expect(text).toMatch(/kitchen\s+5/);
	await context.close();
});

test('phone: "Download all my data" gives a ZIP with Hearth JSON and a Markdown file each', async ({
	browser
}) => {
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	await page.goto('/settings');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByRole('link', { name: 'Download all my data' }).tap()
	]);
	expect(download.suggestedFilename()).toMatch(/^hearth-export-\d{4}-\d\d-\d\d\.zip$/);
	const path = test.info().outputPath('all.zip');
	await download.saveAs(path);
	const listing = execFileSync('unzip', ['-l', path], { encoding: 'utf8' });
	expect(listing).toContain('hearth.json');
	const entries = unzipSync(new Uint8Array(readFileSync(path)));
	const markdownName = `conversations/${conversationId}-Moving-plans-for-export.md`;
	expect(Object.keys(entries)).toEqual(['hearth.json', markdownName]);
	const json = JSON.parse(strFromU8(entries['hearth.json']!)) as {
		format: string;
		conversations: { id: number; title: string; messages: { role: string; content: string }[] }[];
	};
	expect(json.format).toBe('hearth');
	expect(json.conversations).toHaveLength(1);
	expect(json.conversations[0]).toMatchObject({ id: conversationId, title: TITLE });
	expect(json.conversations[0]!.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
	const markdown = strFromU8(entries[markdownName]!);
	expect(markdown).toContain(`# ${TITLE}`);
	expect(markdown).toContain(CONTENT);
	await context.close();
});
