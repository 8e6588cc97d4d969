// Phone flows of the conversation itself, at 390×844 on a touch screen: the settings sheet (the
// same settings as the slash commands, and what the model server receives), the first run with
// no model for an admin and for a user, and search hits that are plain text, listed once and
// opened without errors. Replies come from a scripted OpenAI-compatible stub, which records what
// it was sent.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import { addUser, startHearth, type HearthServer } from '../support/hearth-server';
import { freePort } from '../support/ports';
import { addProvider, ensureUser, saveScreenshot, signIn } from './helpers';

const ADMIN = { username: 'sheetadmin', password: 'sheet-admin-password' };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;
const SHEET_REPLY = 'Keep the **lamp** lit.';
const SEARCH_REPLY =
	'The **lanternfish** glows in `deep` water; see [the guide](https://example.com).';
let stub: StubServer;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
	stub = await startOpenAiStub();
	ensureUser(ADMIN.username, ADMIN.password, true);
	const page = await browser.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	await addProvider(page, 'sk-sheet-0000', 'Sheet stub', `${stub.url}/v1`, true);
	await page.close();
});

test.afterAll(async ({ browser }) => {
	const page = await browser.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin/providers');
	const card = page.locator('section', {
		has: page.getByRole('heading', { name: 'Sheet stub', exact: true })
	});
	await card.getByText('Edit').click();
	await card.getByRole('button', { name: 'Remove provider' }).click();
	await expect(card).toHaveCount(0);
	await page.close();
	await stub.close();
});

/** A phone page that fails the test on any page error or console error. */
async function phonePage(browser: Browser, baseURL?: string) {
	const context = await browser.newContext({ ...PHONE, ...(baseURL ? { baseURL } : {}) });
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	page.on('console', (m) => {
		if (m.type() === 'error') errors.push(m.text());
	});
	return { context, page, errors };
}

const composer = (page: Page) => page.getByRole('textbox', { name: 'Message' });
const sheet = (page: Page) => page.getByRole('dialog', { name: 'Conversation settings' });

async function command(page: Page, text: string) {
	await composer(page).fill(text);
	// A touch screen's Enter makes a new line; the Send button sends.
	await page.getByRole('button', { name: 'Send' }).tap();
}

/** On a phone, search lives in the conversation drawer. */
async function searchFor(page: Page, words: string) {
	await page.goto('/');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByTestId('drawer-button').tap();
	await page.getByLabel('Search conversations').fill(words);
}

async function openSheet(page: Page) {
	await page.getByRole('button', { name: 'Settings', exact: true }).tap();
	await expect(sheet(page)).toBeVisible();
}

function lastChatRequest() {
	const request = stub.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1);
	return request?.body as {
		model: string;
		temperature?: number;
		messages: { role: string; content: string }[];
	};
}

test('the settings sheet edits model, temperature, reasoning and system prompt, like the slash commands', async ({
	browser
}) => {
	stub.script = { text: SHEET_REPLY, chunkChars: 8, intervalMs: 10 };
	const { context, page, errors } = await phonePage(browser);
	await signIn(page, ADMIN.username, ADMIN.password);
	await expect(page.getByLabel('Model')).not.toHaveValue('');
	errors.length = 0; // the sign-in page's own 401 from /api/me is not this test's concern

	await openSheet(page);
	const inSheet = sheet(page);
	await inSheet.getByLabel('Model').selectOption({ label: 'gpt-4o-mini · sees images' });
	await inSheet.getByLabel(/Temperature/).fill('0.4');
	await inSheet.getByLabel('Reasoning').selectOption('low');
	await inSheet.getByLabel('System prompt').fill('You are a lighthouse keeper.');
	// Thumb-sized controls, and nothing wider than the screen.
	for (const control of await inSheet.locator('select, input, textarea, button').all()) {
		const box = (await control.boundingBox())!;
		expect(
			box.height,
			await control.evaluate((e) => e.outerHTML.slice(0, 80))
		).toBeGreaterThanOrEqual(44);
		expect(box.x + box.width).toBeLessThanOrEqual(390);
	}
	// Focus stays in the sheet: the page behind is inert while it is open.
	for (let i = 0; i < 12; i++) {
		await page.keyboard.press('Tab');
		expect(
			await page.evaluate(() => {
				const active = document.activeElement;
				return active === document.body || Boolean(active?.closest('dialog'));
			})
		).toBe(true);
	}
	await saveScreenshot(page, 'settings-sheet');
	await inSheet.getByRole('button', { name: 'Save' }).tap();
	await expect(sheet(page)).toBeHidden();
	const summary = page.getByTestId('conversation-settings');
	await expect(summary).toContainText('temp 0.4');
	await expect(summary).toContainText('reasoning low');
	await expect(summary).toContainText('system prompt');

	// Slash commands change the same settings: the sheet shows what they set.
	await command(page, '/temp 0.9');
	await expect(page.getByTestId('command-notice')).toHaveText('Temperature: 0.9');
	await command(page, '/system Answer in one line.');
	await openSheet(page);
	await expect(sheet(page).getByLabel(/Temperature/)).toHaveValue('0.9');
	await expect(sheet(page).getByLabel('Reasoning')).toHaveValue('low');
	await expect(sheet(page).getByLabel('System prompt')).toHaveValue(
		'You are a lighthouse keeper.\n\nAnswer in one line.'
	);
	await page.keyboard.press('Escape');
	await expect(sheet(page)).toBeHidden();
	// The backdrop closes it too.
	await openSheet(page);
	await page.mouse.click(195, 20);
	await expect(sheet(page)).toBeHidden();

	// The model server receives exactly these settings.
	await command(page, 'Where is the light?');
	await expect(page).toHaveURL(/\/c\/\d+$/);
	const reply = page.locator('article.message.assistant').last();
	await expect(reply).toHaveAttribute('data-status', 'done');
	expect(lastChatRequest()).toMatchObject({
		model: 'gpt-4o-mini',
		temperature: 0.9,
		messages: [
			{ role: 'system', content: 'You are a lighthouse keeper.\n\nAnswer in one line.' },
			{ role: 'user', content: 'Where is the light?' }
		]
	});
	// Display names everywhere, never internal provider ids.
	await expect(reply.locator('.role')).toHaveText('Sheet stub · gpt-4o-mini');
	await command(page, '/model gpt-4o-mini');
	await expect(page.getByTestId('command-notice')).toHaveText('Model: Sheet stub · gpt-4o-mini');
	expect(await page.locator('body').innerText()).not.toMatch(/\bp\d+\//);
	await page.goto('/settings');
	await expect(page.getByTestId('usage-by-model')).toContainText('Sheet stub · gpt-4o-mini');
	await expect(page.getByTestId('usage-by-model')).not.toContainText(/\bp\d+\//);
	expect(errors).toEqual([]);
	await context.close();
});

test('search: plain-text snippets, a branch copy listed once, and a jump without errors', async ({
	browser
}) => {
	stub.script = { text: SEARCH_REPLY, chunkChars: 8, intervalMs: 10 };
	const { context, page, errors } = await phonePage(browser);
	await signIn(page, ADMIN.username, ADMIN.password);
	await expect(page.getByLabel('Model')).not.toHaveValue('');
	errors.length = 0; // the sign-in page's own 401 from /api/me is not this test's concern
	await command(page, '/model gpt-4o-mini');
	await command(page, 'Tell me about lanternfish');
	await expect(page).toHaveURL(/\/c\/\d+$/);
	const original = new URL(page.url()).pathname;
	await expect(page.locator('article.message.assistant').last()).toHaveAttribute(
		'data-status',
		'done'
	);
	await page
		.locator('article.message.assistant')
		.last()
		.getByRole('button', { name: 'Branch from here' })
		.tap();
	await expect(page.getByText('Branched from')).toBeVisible();

	await searchFor(page, 'glows');
	const hits = page.getByTestId('search-hit');
	await expect(hits).toHaveCount(1);
	await expect(hits.first()).toContainText('The lanternfish glows in deep water; see the guide.');
	await expect(hits.first()).not.toContainText(/[*`[\]]/);
	await hits.first().getByRole('link').tap();
	await expect(page).toHaveURL(new RegExp(`${original}#m\\d+$`));
	await expect(page.locator('article.message.assistant').last()).toContainText('glows');
	// Another jump, to the question this time: still no errors (effect_update_depth_exceeded before).
	await searchFor(page, 'lanternfish');
	await hits.first().getByRole('link').tap();
	await expect(page.locator('article.message').first()).toBeVisible();
	expect(errors.filter((e) => /effect_update_depth_exceeded/.test(e))).toEqual([]);
	expect(errors).toEqual([]);

	// Offline, the device copy's search lists the copied message once too.
	await page.goto('/');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await context.setOffline(true);
	await page.getByTestId('drawer-button').tap();
	await page.getByLabel('Search conversations').fill('glows');
	await expect(page.getByTestId('search-hit')).toHaveCount(1);
	await expect(page.getByTestId('search-hit').first()).toContainText(
		'The lanternfish glows in deep water; see the guide.'
	);
	await context.close();
});

test.describe('first run with no model reachable', () => {
	let hearth: HearthServer;
	test.beforeAll(async () => {
		// A second Hearth whose llama.cpp address answers nothing, and no other provider.
		hearth = await startHearth({ LLAMA_URL: `http://127.0.0.1:${await freePort()}` });
		addUser(hearth, 'firstadmin', 'first-admin-password', true);
		addUser(hearth, 'firstuser', 'first-user-password');
	});
	test.afterAll(() => hearth?.stop());

	test('an admin is shown how to get a model', async ({ browser }) => {
		const { context, page, errors } = await phonePage(browser, hearth.url);
		await signIn(page, 'firstadmin', 'first-admin-password');
		errors.length = 0;
		const card = page.getByTestId('no-model');
		await expect(card).toBeVisible();
		await expect(card.getByRole('link', { name: 'Add a provider' })).toHaveAttribute(
			'href',
			'/admin/providers'
		);
		await expect(card).toContainText('OpenAI or Anthropic API key');
		await expect(card).toContainText('npm run llama');
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
		await saveScreenshot(page, 'first-run');
		// The admin sees why the provider failed.
		const models = (await (await page.request.get('/api/models')).json()) as {
			providers: { error?: { message: string } }[];
		};
		expect(models.providers[0]!.error!.message).toBe('Cannot reach llama.cpp — is it running?');
		await card.getByRole('link', { name: 'Add a provider' }).tap();
		await expect(page).toHaveURL(/\/admin\/providers$/);
		expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
		await context.close();
	});

	test('a user is told to ask the admin, and sees no configuration error', async ({ browser }) => {
		const { context, page } = await phonePage(browser, hearth.url);
		await signIn(page, 'firstuser', 'first-user-password');
		const card = page.getByTestId('no-model');
		await expect(card).toContainText('Ask the admin');
		await expect(card.getByRole('link')).toHaveCount(0);
		await expect(page.getByLabel('Model').locator('option[disabled]')).toHaveText(
			'llama.cpp is unavailable right now'
		);
		const body = await (await page.request.get('/api/models')).text();
		expect(body).not.toContain('Cannot reach');
		expect(body).not.toContain('127.0.0.1');
		await context.close();
	});
});
