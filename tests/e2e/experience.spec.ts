// The chat experience in a real browser: markdown and highlighted code streaming in, copy, CSP,
// slash commands, branches, search, conversation management, theme, and the phone layout.
// Replies come from a scripted OpenAI-compatible stub: a random-weight model cannot be made to
// write markdown on demand, and these tests are about what the page does with it.
import { expect, test, type Page } from '@playwright/test';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import { addProvider, ensureUser, openMenu, signIn } from './helpers';

const USER = { username: 'stylist', password: 'stylist-password' };
const CODE = 'def greet(name):\n    return f"hello {name}"';
const REPLY = [
	'Here is **bold**, _italic_ and a hearthword to find later.\n\n',
	'| lang | kind |\n|------|------|\n| py | snake |\n\n',
	'```python\n',
	`${CODE}\n`,
	'```\n\n',
	'Raw <img src=x onerror="window.__pwned=1"> stays text; [a link](https://example.com).'
].join('');
let stub: StubServer;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
	stub = await startOpenAiStub();
	stub.script = { text: REPLY, chunkChars: 6, intervalMs: 15 };
	ensureUser(USER.username, USER.password, true);
	const page = await browser.newPage();
	await signIn(page, USER.username, USER.password);
	await addProvider(page, 'sk-scripted-0000', 'Scripted', `${stub.url}/v1`, true);
	await page.close();
});

test.afterAll(async ({ browser }) => {
	const page = await browser.newPage();
	await signIn(page, USER.username, USER.password);
	await page.goto('/admin/providers');
	const card = page.locator('section', {
		has: page.getByRole('heading', { name: 'Scripted', exact: true })
	});
	await card.getByText('Edit').click();
	await card.getByRole('button', { name: 'Remove provider' }).click();
	await expect(card).toHaveCount(0);
	await page.close();
	await stub.close();
});

const composer = (page: Page) => page.getByRole('textbox', { name: 'Message' });
const lastReply = (page: Page) => page.locator('article.message.assistant').last();

/** Sends with Enter, or with the Send button (on a touch screen Enter starts a new line). */
async function command(page: Page, text: string, via: 'enter' | 'button' = 'enter') {
	await composer(page).fill(text);
	if (via === 'enter') await composer(page).press('Enter');
	else await page.getByRole('button', { name: 'Send' }).click();
}

/** Signs in, picks the scripted model with /model, and sends one message. */
async function startScriptedChat(page: Page, text: string, via: 'enter' | 'button' = 'enter') {
	await signIn(page, USER.username, USER.password);
	await expect(page.getByLabel('Model')).not.toHaveValue('');
	await command(page, '/model gpt-4o-mini', via);
	await expect(page.getByTestId('command-notice')).toContainText('gpt-4o-mini');
	await command(page, text, via);
	await expect(page).toHaveURL(/\/c\/\d+$/);
}

test('a streamed reply renders as markdown, its code is highlighted, and copy works', async ({
	page,
	context
}) => {
	await context.grantPermissions(['clipboard-read', 'clipboard-write']);
	await startScriptedChat(page, 'Show me some code');
	const reply = lastReply(page);
	await expect(reply).toHaveAttribute('data-status', 'streaming');
	// Highlighted once its fence closes — while the rest of the reply is still arriving.
	await expect(reply.locator('.code-block code .tok-keyword').first()).toHaveText('def');
	await expect(reply).toHaveAttribute('data-status', 'done');
	await expect(reply.locator('strong')).toHaveText('bold');
	await expect(reply.locator('table td').first()).toHaveText('py');
	await expect(reply.locator('a[href="https://example.com"]')).toHaveAttribute(
		'rel',
		'noopener noreferrer'
	);
	await expect(reply.getByTestId('message-content')).toContainText('<img src=x onerror=');
	expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
	await expect(reply.getByTestId('message-stats')).toContainText('40 in');
	await expect(page.getByTestId('usage')).toContainText('this chat');

	await reply.locator('.code-block').getByRole('button', { name: 'Copy' }).click();
	await expect(reply.locator('.code-block').getByRole('button', { name: 'Copied' })).toBeVisible();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(CODE);
	await reply.getByRole('button', { name: 'Copy', exact: true }).last().click();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(REPLY);
});

test('until the markdown renderer has loaded, a reply is plain escaped text', async ({
	browser
}) => {
	// The renderer (marked + DOMPurify) loads after the page; here its sanitizer chunk never
	// arrives (no service worker to serve it from its cache), so the reply must stay plain text.
	const context = await browser.newContext({ serviceWorkers: 'block' });
	await context.route('**/_app/immutable/chunks/*.js', async (route) => {
		const response = await route.fetch();
		if ((await response.text()).includes('ALLOWED_TAGS')) await route.abort();
		else await route.fulfill({ response });
	});
	const page = await context.newPage();
	try {
		await startScriptedChat(page, 'Show me some code, plainly');
		const reply = lastReply(page);
		await expect(reply).toHaveAttribute('data-status', 'done');
		const content = reply.getByTestId('message-content');
		await expect(content).toContainText('Here is **bold**');
		await expect(content).toContainText('<img src=x onerror=');
		await expect(content.locator('strong, table, img, a')).toHaveCount(0);
		expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
	} finally {
		await context.close();
	}
});

test('settings list usage by model and take a cost for local tokens', async ({ page }) => {
	await signIn(page, USER.username, USER.password);
	await page.goto('/settings');
	await expect(page.getByTestId('usage-by-model')).toContainText('gpt-4o-mini');
	await page.getByLabel('Local models: dollars per million tokens').fill('lots');
	await page.getByRole('button', { name: 'Save', exact: true }).click();
	await expect(page.getByText('Enter a number of dollars from 0 to 1000.')).toBeVisible();
	await page.getByLabel('Local models: dollars per million tokens').fill('0.25');
	await page.getByRole('button', { name: 'Save', exact: true }).click();
	await expect(page.getByText('Saved.')).toBeVisible();
	const settings = await (await page.request.get('/api/me/settings')).json();
	expect(settings).toEqual({ localCostPerMillionUsd: 0.25 });
});

test('the CSP blocks an injected inline script and inline handler', async ({ page }) => {
	await signIn(page, USER.username, USER.password);
	const outcome = await page.evaluate(async () => {
		const violations: string[] = [];
		// Both refusals are reported as events; the test waits for them, not for a time.
		const reported = new Promise<void>((resolve) =>
			document.addEventListener('securitypolicyviolation', (e) => {
				violations.push(e.violatedDirective);
				if (violations.filter((v) => v.startsWith('script-src')).length >= 2) resolve();
			})
		);
		const script = document.createElement('script');
		script.textContent = 'window.__inline = 1';
		document.body.append(script);
		const img = document.createElement('img');
		img.setAttribute('onerror', 'window.__handler = 1');
		img.src = 'data:,not-an-image';
		document.body.append(img);
		await reported;
		const w = window as { __inline?: number; __handler?: number };
		return { inline: w.__inline, handler: w.__handler, violations };
	});
	expect(outcome.inline).toBeUndefined();
	expect(outcome.handler).toBeUndefined();
	expect(
		outcome.violations.filter((v) => v.startsWith('script-src')).length
	).toBeGreaterThanOrEqual(2);
});

test('slash commands: autocomplete, settings that stick, inline errors, /help', async ({
	page
}) => {
	await signIn(page, USER.username, USER.password);
	await composer(page).fill('/re');
	const options = page.getByRole('listbox', { name: 'Commands' }).getByRole('option');
	await expect(options).toHaveCount(1);
	await expect(options.first()).toContainText('/reasoning');
	await composer(page).press('Tab');
	await expect(composer(page)).toHaveValue('/reasoning ');
	await composer(page).pressSequentially('h');
	await expect(options.first()).toContainText('high');
	await composer(page).press('ArrowDown');
	await composer(page).press('Enter');
	await expect(composer(page)).toHaveValue('/reasoning high');
	await composer(page).press('Enter');
	await expect(page.getByTestId('command-notice')).toHaveText('Reasoning: high');

	await command(page, '/temp 7');
	await expect(page.getByTestId('command-notice')).toContainText('from 0 to 2');
	await expect(composer(page)).toHaveValue('/temp 7');
	await expect(page.getByTestId('conversation-settings')).not.toContainText('temp');
	await command(page, '/temp 0.3');
	await expect(page.getByTestId('conversation-settings')).toContainText('temp 0.3');
	await command(page, '/bogus');
	await expect(page.getByTestId('command-notice')).toContainText('Unknown command /bogus');
	await command(page, '/image a lighthouse');
	await expect(page.getByRole('alert').first()).toContainText('needs an OpenAI provider');
	await command(page, '/help');
	await expect(page.getByTestId('slash-help')).toContainText('/system <text>');

	// The settings chosen before the first message are saved with the conversation.
	await command(page, '/model gpt-4o-mini');
	await command(page, 'Remember my settings');
	await expect(page).toHaveURL(/\/c\/\d+$/);
	const id = new URL(page.url()).pathname.split('/').pop();
	const saved = await (await page.request.get(`/api/conversations/${id}`)).json();
	expect(saved.settings).toEqual({ temperature: 0.3, reasoning: 'high' });
	expect(saved.model).toMatch(/\/gpt-4o-mini$/);
});

test('regenerate and edit make sibling branches; branch from here makes a linked copy', async ({
	page
}) => {
	await startScriptedChat(page, 'First question');
	await expect(lastReply(page)).toHaveAttribute('data-status', 'done');
	await lastReply(page).getByRole('button', { name: 'Regenerate' }).click();
	await expect(lastReply(page).getByTestId('sibling-position')).toHaveText('2/2');
	await expect(lastReply(page)).toHaveAttribute('data-status', 'done');
	await lastReply(page).getByRole('button', { name: 'Previous version' }).click();
	await expect(lastReply(page).getByTestId('sibling-position')).toHaveText('1/2');

	const question = page.locator('article.message.user').first();
	await question.getByRole('button', { name: 'Edit' }).click();
	await question.getByLabel('Edit message').fill('First question, reworded');
	await question.getByRole('button', { name: 'Send edit' }).click();
	await expect(page.locator('article.message.user').first()).toContainText('reworded');
	await expect(
		page.locator('article.message.user').first().getByTestId('sibling-position')
	).toHaveText('2/2');
	await expect(lastReply(page)).toHaveAttribute('data-status', 'done');

	const original = page.url();
	await page
		.locator('article.message.user')
		.first()
		.getByRole('button', { name: 'Branch from here' })
		.click();
	await expect(page).not.toHaveURL(original);
	await expect(page.getByText('Branched from')).toBeVisible();
	await expect(page.locator('article.message')).toHaveCount(1);
	await expect(page.locator('article.message.user')).toContainText('reworded');
});

test('search finds words in replies, with the hit marked, and opens the conversation', async ({
	page
}) => {
	await signIn(page, USER.username, USER.password);
	await page.getByLabel('Search conversations').fill('hearthwo');
	const hit = page.getByTestId('search-hit').first();
	await expect(hit.locator('mark')).toHaveText(/hearthword/i);
	await hit.getByRole('link').click();
	await expect(page).toHaveURL(/\/c\/\d+#m\d+$/);
	await expect(page.locator('article.message.assistant').first()).toContainText('hearthword');
});

test('rename, pin, delete with undo', async ({ page }) => {
	await startScriptedChat(page, 'A conversation to manage');
	const id = new URL(page.url()).pathname.split('/').pop();
	const item = page.getByTestId('conversation-item').filter({
		has: page.locator(`a[href="/c/${id}"]`)
	});
	await item.getByLabel(/Actions for/).click();
	await item.getByRole('button', { name: 'Rename' }).click();
	await page.getByLabel('New title').fill('Renamed chat');
	await page.getByLabel('New title').press('Enter');
	const renamed = page.getByTestId('conversation-item').filter({ hasText: 'Renamed chat' });
	await expect(renamed).toBeVisible();
	await renamed.getByLabel(/Actions for/).click();
	await renamed.getByRole('button', { name: 'Pin' }).click();
	await expect(page.getByTestId('conversation-item').first()).toContainText('Renamed chat');
	await expect(page.getByTestId('conversation-item').first().getByLabel('pinned')).toBeVisible();

	await page
		.getByTestId('conversation-item')
		.first()
		.getByLabel(/Actions for/)
		.click();
	await page
		.getByTestId('conversation-item')
		.first()
		.getByRole('button', { name: 'Delete' })
		.click();
	await expect(page.getByTestId('undo-delete')).toContainText('Renamed chat');
	await expect(renamed).toHaveCount(0);
	await page.getByTestId('undo-delete').getByRole('button', { name: 'Undo' }).click();
	await expect(renamed).toBeVisible();
	expect((await page.request.get(`/api/conversations/${id}`)).status()).toBe(200);

	await renamed.getByLabel(/Actions for/).click();
	await renamed.getByRole('button', { name: 'Delete' }).click();
	await expect
		.poll(async () => (await page.request.get(`/api/conversations/${id}`)).status(), {
			timeout: 12_000
		})
		.toBe(404);
});

test('the theme follows the system, and the toggle overrides it', async ({ browser }) => {
	const context = await browser.newContext({ colorScheme: 'light' });
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
	expect(await background()).toBe('rgb(225, 226, 231)');
	await openMenu(page);
	await expect(page.getByTestId('theme-state')).toHaveText('Theme: automatic (light now)');
	await page.getByTestId('theme-toggle').click(); // system → dark
	await expect(page.getByTestId('theme-toggle')).toHaveAccessibleName('Theme: dark. Change theme');
	await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
	expect(await background()).toBe('rgb(26, 27, 38)');
	await page.reload();
	await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
	await openMenu(page);
	await page.getByTestId('theme-toggle').click(); // dark → light
	await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
	expect(await background()).toBe('rgb(225, 226, 231)');
	await context.close();
});

test('phone layout at 390×844: nothing overflows, controls are thumb-sized', async ({
	browser
}) => {
	const context = await browser.newContext({
		viewport: { width: 390, height: 844 },
		deviceScaleFactor: 2,
		isMobile: true,
		hasTouch: true
	});
	const page = await context.newPage();
	await startScriptedChat(page, 'Show me code on my phone', 'button');
	await expect(lastReply(page)).toHaveAttribute('data-status', 'done');
	await expect(lastReply(page).locator('.tok-keyword').first()).toBeVisible();
	// Elements reaching past the right edge (scrolling code blocks and tables scroll inside).
	const overflowing = await page.evaluate(() =>
		[...document.querySelectorAll('body *')]
			.filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
			.filter((el) => !el.closest('pre, table'))
			.map((el) => `${el.tagName.toLowerCase()}.${el.className}`)
	);
	expect(overflowing).toEqual([]);
	expect(
		await page.evaluate(
			() => document.documentElement.scrollWidth - document.documentElement.clientWidth
		)
	).toBeLessThanOrEqual(0);
	const send = await page.getByRole('button', { name: 'Send' }).boundingBox();
	expect(send!.height).toBeGreaterThanOrEqual(44);
	await page.screenshot({ path: test.info().outputPath('phone-390x844.png'), fullPage: false });
	await context.close();
});
