// The chat screen in a real browser against a real llama-server: send, watch the reply stream,
// lose the network mid-reply, leave and come back, stop.
import { expect, test, type Page } from '@playwright/test';
import { ensureUser, renderedText, saveScreenshot, signIn } from './helpers';
import type { ConversationDto } from '$lib/shared/dto';

const USER = { username: 'chatter', password: 'chatter-password' };

test.describe.configure({ mode: 'serial' });

test.beforeAll(() => ensureUser(USER.username, USER.password));

const reply = (page: Page) => page.locator('article.message.assistant').last();

async function ask(page: Page, text: string) {
	await page.getByLabel('Message').fill(text);
	await page.getByLabel('Message').press('Enter');
	await expect(page).toHaveURL(/\/c\/\d+$/);
	await expect(page.locator('article.message.user').last()).toContainText(text);
}

async function stored(page: Page) {
	const id = new URL(page.url()).pathname.split('/').pop();
	const res = await page.request.get(`/api/conversations/${id}`);
	return ((await res.json()) as ConversationDto).messages.at(-1)!;
}

test('send a message and watch the reply stream in', async ({ page }) => {
	await signIn(page, USER.username, USER.password);
	await expect(page.getByLabel('Model')).toHaveValue('llama/hearth-test');
	await ask(page, 'Hello hearth');
	await expect(reply(page)).toHaveAttribute('data-status', 'streaming');
	await expect(page.getByTestId('running-jobs')).toContainText('1 reply in progress');
	await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
	await expect(reply(page)).toHaveAttribute('data-status', 'done', { timeout: 20_000 });
	await expect(reply(page).locator('footer')).toContainText('tok/s');
	const saved = await stored(page);
	await expect(reply(page).getByTestId('message-content')).toHaveText(renderedText(saved.content));
	await expect(page.getByRole('link', { name: 'Hello hearth' })).toBeVisible();
});

test('going offline mid-reply, then back: the whole reply is shown', async ({ page, context }) => {
	await signIn(page, USER.username, USER.password);
	await ask(page, 'Keep talking while I drive through a tunnel');
	await expect(reply(page).getByTestId('message-content')).not.toHaveText('', { timeout: 10_000 });
	await context.setOffline(true);
	// The page has noticed: the reply goes on at the server without a listener.
	await expect(page.getByTestId('offline')).toBeVisible();
	await context.setOffline(false);
	await expect(reply(page)).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
	const saved = await stored(page);
	expect(saved.status).toBe('done');
	await expect(reply(page).getByTestId('message-content')).toHaveText(renderedText(saved.content));
});

test('leave while the reply runs, come back: it resumes and finishes', async ({ page }) => {
	await signIn(page, USER.username, USER.password);
	await ask(page, 'Write while I am away');
	const url = page.url();
	await expect(reply(page).getByTestId('message-content')).not.toHaveText('', { timeout: 10_000 });
	await page.goto('/settings');
	await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
	await page.goto(url);
	await expect(reply(page)).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
	const saved = await stored(page);
	await expect(reply(page).getByTestId('message-content')).toHaveText(renderedText(saved.content));
	expect(saved.content.length).toBeGreaterThan(0);
});

test('stop keeps what was written so far', async ({ page }) => {
	await signIn(page, USER.username, USER.password);
	await ask(page, 'A long story, please');
	await expect(reply(page).getByTestId('message-content')).not.toHaveText('', { timeout: 10_000 });
	await page.getByRole('button', { name: 'Stop' }).click();
	await expect(reply(page)).toHaveAttribute('data-status', 'cancelled', { timeout: 10_000 });
	await expect(reply(page)).toContainText('stopped');
	const saved = await stored(page);
	expect(saved.status).toBe('cancelled');
	expect(saved.content.length).toBeGreaterThan(0);
	await expect(reply(page).getByTestId('message-content')).toHaveText(renderedText(saved.content));
	await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();
});

test('a conversation too large for one read opens at its newest page; earlier ones load on request', async ({
	page,
	baseURL
}) => {
	// 600,000 characters go through the API and the markdown renderer: more than the default 30 s
	// on a loaded 2-core machine.
	test.setTimeout(90_000);
	await signIn(page, USER.username, USER.password);
	const headers = { origin: baseURL! };
	const created = await page.request.post('/api/conversations', { data: {}, headers });
	const { id } = (await created.json()) as { id: number };
	// Six messages of 100k characters are more than one read returns. A model nobody serves
	// fails each reply at once, so no reply has to be waited for.
	const opening = 'The opening message';
	for (let i = 0; i < 6; i++) {
		const content =
			i === 0 ? `${opening} `.padEnd(100_000, 'a') : `Message ${i} `.padEnd(100_000, 'b');
		const sent = await page.request.post(`/api/conversations/${id}/messages`, {
			data: { content, model: 'nobody/none' },
			headers
		});
		expect(sent.status()).toBe(202);
		await expect
			.poll(async () => {
				const res = await page.request.get(`/api/conversations/${id}`);
				const dto = (await res.json()) as ConversationDto;
				return dto.messages.at(-1)?.status;
			})
			.toBe('failed');
	}
	const first = (await (
		await page.request.get(`/api/conversations/${id}`)
	).json()) as ConversationDto;
	expect(first.earlierBefore).toBeDefined();
	expect(first.messages.some((m) => m.content.startsWith(opening))).toBe(false);

	await page.goto(`/c/${id}`);
	await expect(page.locator('article.message.user').last()).toContainText('Message 5');
	// (The opening is in the sidebar, as the title; not among the messages.)
	await expect(page.locator('article.message', { hasText: opening })).toHaveCount(0);
	// "Show N earlier" renders messages already here; "Load earlier" asks the server for more.
	const load = page.getByRole('button', { name: /^(Show \d+|Load) earlier messages/ });
	// The button stays while a page loads: wait for each page before looking for the next.
	const messages = page.locator('article.message');
	while (await load.isVisible()) {
		const before = await messages.count();
		await load.click();
		await expect(messages).not.toHaveCount(before);
	}
	await expect(page.locator('article.message.user').first()).toContainText(opening);
	await expect(page.locator('article.message.user')).toHaveCount(6);
});

/** A conversation titled by its first message, whose reply fails at once (a model nobody serves). */
async function quickConversation(page: Page, baseURL: string, title: string): Promise<number> {
	const headers = { origin: baseURL };
	const created = await page.request.post('/api/conversations', { data: {}, headers });
	const { id } = (await created.json()) as { id: number };
	const sent = await page.request.post(`/api/conversations/${id}/messages`, {
		data: { content: title, model: 'nobody/none' },
		headers
	});
	expect(sent.status()).toBe(202);
	await expect
		.poll(async () => {
			const res = await page.request.get(`/api/conversations/${id}`);
			return ((await res.json()) as ConversationDto).messages.at(-1)?.status;
		})
		.toBe('failed');
	return id;
}

test('the conversation list is read once at start, not again when moving between chats', async ({
	browser,
	baseURL
}) => {
	const lister = { username: 'lister', password: 'lister-password' };
	ensureUser(lister.username, lister.password);
	const page = await browser.newPage();
	await signIn(page, lister.username, lister.password);
	const first = await quickConversation(page, baseURL!, 'First of two');
	const second = await quickConversation(page, baseURL!, 'Second of two');
	// The page signed in on may still be starting (a loaded machine): it must not read the list here.
	await page.goto('about:blank');

	const listReads: string[] = [];
	page.on('request', (request) => {
		const url = new URL(request.url());
		if (request.method() === 'GET' && url.pathname === '/api/conversations')
			listReads.push(url.search);
	});
	// The start ends with the device copy's sync, which comes after the list.
	const synced = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/sync');
	await page.goto(`/c/${first}`);
	await synced;
	await expect(page.getByRole('link', { name: 'Second of two' })).toBeVisible();
	expect(listReads).toHaveLength(1);

	for (const [id, title] of [
		[second, 'Second of two'],
		[first, 'First of two'],
		[second, 'Second of two']
	] as const) {
		// Opening a chat ends with its usage totals, read once it is on screen.
		const opened = page.waitForResponse(
			(r) => r.url().endsWith(`/api/usage?conversationId=${id}`) && r.ok()
		);
		await page.getByRole('link', { name: title }).click();
		await expect(page).toHaveURL(new RegExp(`/c/${id}$`));
		await expect(page.locator('article.message.user')).toContainText(title);
		await opened;
	}
	await page.getByRole('link', { name: 'New chat' }).first().click();
	await expect(page).toHaveURL(/\/$/);
	expect(listReads).toHaveLength(1);
	await page.close();
});

test('a device copy that cannot be used is reported, and the chat works from the network', async ({
	browser
}) => {
	const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
	// This browser's IndexedDB refuses every database (as a full or broken profile does).
	await context.addInitScript(() => {
		IDBFactory.prototype.open = () => {
			throw new DOMException('The storage of this device is broken', 'UnknownError');
		};
	});
	const page = await context.newPage();
	const warnings: string[] = [];
	page.on('console', (message) => {
		if (message.type() === 'warning') warnings.push(message.text());
	});
	await signIn(page, USER.username, USER.password);
	const warning = page.getByTestId('device-cache-warning');
	await expect(warning).toContainText('The offline copy on this device could not');
	await expect(warning).toContainText('storage of this device is broken');
	expect(warnings.some((w) => w.includes('offline copy on this device could not'))).toBe(true);
	// The list and a conversation still come from the server.
	await page.getByTestId('drawer-button').click();
	await page.getByRole('link', { name: 'Hello hearth' }).click();
	await expect(page.locator('article.message.user').first()).toContainText('Hello hearth');
	await expect(warning).toBeVisible();
	expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(
		true
	);
	await saveScreenshot(page, 'device-cache-warning');
	await warning.getByRole('button', { name: 'Dismiss' }).click();
	await expect(warning).toHaveCount(0);
	await context.close();
});
