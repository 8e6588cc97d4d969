// Hearth on a phone, and at the sizes around one: no page is wider than the screen whatever the
// titles, code, tables and names hold; the conversation drawer; a thread that opens at its newest
// message and follows a streaming reply; Enter on a touch keyboard; answers next to the composer.
// Replies come from a scripted OpenAI-compatible stub, so their length and pace are known.
// HEARTH_SCREENSHOTS=docs/phone also saves each page at 390×844 there.
import fs from 'node:fs';
import path from 'node:path';
import {
	expect,
	test,
	type Browser,
	type BrowserContext,
	type Locator,
	type Page
} from '@playwright/test';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import { addProvider, ensureUser, openMenu, saveScreenshot, signIn } from './helpers';
import type { ConversationDto, SendResultDto } from '$lib/shared/dto';

const USER = { username: 'phone.reader-with-a-long-name-01', password: 'phone-reader-password' };
const PROVIDER = `Phonestub${'Unbroken'.repeat(6)}`; // 57 of the 60 characters allowed
const UNBROKEN = 'Supercalifragilisticexpialidocious'.repeat(8);
const NEEDLE = 'quasarneedle';
/** Turns in the long conversation: more messages than the 40 scrolling up renders by itself. */
const TURNS = 30;
const REPLY = [
	`An unbroken string: ${UNBROKEN}\n\n`,
	`| name | a rather long column heading | notes |\n|---|---|---|\n| ${'word '.repeat(10)}| ${UNBROKEN.slice(0, 90)} | ok |\n\n`,
	'```js\n',
	`const line = "${'a'.repeat(240)}";\n`,
	'```\n\n',
	'The end.'
].join('');
/** A reply that streams for several seconds and grows taller than any screen. */
const SLOW_REPLY = Array.from({ length: 80 }, (_, i) => `Line ${i + 1} of a long reply.\n\n`).join(
	''
);
const VIEWPORTS = [
	{ width: 320, height: 640, phone: true },
	{ width: 360, height: 740, phone: true },
	{ width: 390, height: 844, phone: true },
	{ width: 430, height: 932, phone: true },
	{ width: 768, height: 1024, phone: false },
	{ width: 1280, height: 800, phone: false }
] as const;
const SHOTS = process.env.HEARTH_SCREENSHOTS;

let stub: StubServer;
let model = '';
let longId = 0;
let needleId = 0;
let inviteUrl = '';

test.describe.configure({ mode: 'serial' });

/** JSON to the API as the signed-in page, with the same-origin header the server requires. */
async function api<T>(page: Page, method: 'POST' | 'PATCH' | 'GET', url: string, data?: unknown) {
	const origin = new URL(page.url()).origin;
	const response = await page.request.fetch(url, { method, data, headers: { origin } });
	expect(response.ok(), await response.text()).toBe(true);
	return (await response.json()) as T;
}

/** A conversation of TURNS questions and scripted replies, with a title nothing can wrap. */
async function seedLongConversation(page: Page) {
	const conversation = await api<ConversationDto>(page, 'POST', '/api/conversations', {});
	let parentId: number | null = null;
	for (let i = 0; i < TURNS; i++) {
		const content = i === 0 ? `Where is the ${NEEDLE}? ${UNBROKEN}` : `Question ${i}: ${UNBROKEN}`;
		const sent: SendResultDto = await api<SendResultDto>(
			page,
			'POST',
			`/api/conversations/${conversation.id}/messages`,
			{ content, parentId, model, clientId: crypto.randomUUID() }
		);
		if (i === 0) needleId = sent.message.id;
		parentId = sent.reply.id;
		await expect
			.poll(
				async () =>
					(
						await api<ConversationDto>(page, 'GET', `/api/conversations/${conversation.id}`)
					).messages.find((m) => m.id === sent.reply.id)?.status,
				{ intervals: [50, 100, 250] }
			)
			.toBe('done');
	}
	await api(page, 'PATCH', `/api/conversations/${conversation.id}`, {
		title: `A title with ${UNBROKEN.slice(0, 180)}`,
		model
	});
	return conversation.id;
}

test.beforeAll(async ({ browser }) => {
	test.setTimeout(120_000);
	stub = await startOpenAiStub();
	stub.script = { text: REPLY, chunkChars: 10_000, intervalMs: 1 };
	ensureUser(USER.username, USER.password, true);
	const page = await browser.newPage();
	await signIn(page, USER.username, USER.password);
	await addProvider(page, 'sk-phone-0000', PROVIDER, `${stub.url}/v1`, true);
	const { providers } = await api<{ providers: { id: string; name: string }[] }>(
		page,
		'GET',
		'/api/models'
	);
	model = `${providers.find((p) => p.name === PROVIDER)!.id}/gpt-4o-mini`;
	longId = await seedLongConversation(page);
	await page.goto('/admin');
	await page.getByRole('button', { name: 'Create invite link' }).click();
	inviteUrl = (await page.getByTestId('invite-url').textContent())!.trim();
	await page.close();
});

test.afterAll(async ({ browser }) => {
	const page = await browser.newPage();
	await signIn(page, USER.username, USER.password);
	await page.goto('/admin/providers');
	const card = page.locator('section', {
		has: page.getByRole('heading', { name: PROVIDER, exact: true })
	});
	await card.getByText('Edit').click();
	await card.getByRole('button', { name: 'Remove provider' }).click();
	await expect(card).toHaveCount(0);
	await page.close();
	await stub.close();
});

/** A context the size of a device; phones get touch and mobile emulation. */
async function device(browser: Browser, width: number, height: number, phone = true) {
	return browser.newContext({
		viewport: { width, height },
		colorScheme: 'dark',
		deviceScaleFactor: 2,
		isMobile: phone,
		hasTouch: phone
	});
}

/**
 * Collects page errors and console errors; the test fails on any. One is expected: signed out,
 * the layout's /api/me probe answers 401 (that is how a page learns nobody is signed in).
 */
function watchErrors(page: Page) {
	const errors: string[] = [];
	page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
	page.on('console', (message) => {
		const url = message.location().url;
		const signedOutProbe = new URL(url || 'http://x/').pathname === '/api/me';
		if (message.type() === 'error' && !(signedOutProbe && message.text().includes('401'))) {
			errors.push(`console: ${message.text()} ${url}`);
		}
	});
	return errors;
}

const composer = (page: Page) => page.getByRole('textbox', { name: 'Message' });
const thread = (page: Page) => page.getByTestId('thread');
const lastReply = (page: Page) => page.locator('article.message.assistant').last();
const jump = (page: Page) => page.getByTestId('jump-to-latest');

/** Pixels between the bottom of the thread's view and the end of the thread. */
const fromBottom = (page: Page) =>
	thread(page).evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);

async function openLong(page: Page) {
	await page.goto(`/c/${longId}`);
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	// The newest messages come first; older ones as the reader scrolls up.
	await expect(page.getByTestId('message').last()).toBeInViewport();
	await expect(page.getByTestId('header-title')).toContainText('A title with');
}

async function expectInside(locator: Locator, width: number, height: number) {
	const box = (await locator.boundingBox())!;
	expect(box.x).toBeGreaterThanOrEqual(0);
	expect(box.y).toBeGreaterThanOrEqual(0);
	expect(box.x + box.width).toBeLessThanOrEqual(width);
	expect(box.y + box.height).toBeLessThanOrEqual(height);
}

for (const { width, height, phone } of VIEWPORTS) {
	test(`no page is wider than the screen at ${width}×${height}`, async ({ browser }) => {
		test.setTimeout(90_000);
		const context = await device(browser, width, height, phone);
		const page = await context.newPage();
		const errors = watchErrors(page);
		const measure = async (name: string) => {
			await page.locator('html[data-ready]').waitFor({ state: 'attached' });
			const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
			expect(scrollWidth, `${name} at ${width}px`).toBe(width);
			if (SHOTS && width === 390) {
				fs.mkdirSync(SHOTS, { recursive: true });
				await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
			}
		};
		const chat = async (name: string) => {
			await expect(page.getByTestId('conversation-item').first()).toBeAttached();
			await expectInside(composer(page), width, height);
			await expectInside(page.getByRole('button', { name: 'Send' }), width, height);
			await measure(name);
		};

		await page.goto('/login');
		await measure('login');
		await page.goto(inviteUrl);
		await expect(page.getByRole('heading', { name: "You're invited to Hearth" })).toBeVisible();
		await measure('invite');
		await page.goto('/setup');
		await measure('setup');

		await signIn(page, USER.username, USER.password);
		await chat('new-chat');
		await openLong(page);
		await chat('chat');
		if (phone) {
			await page.getByTestId('drawer-button').click();
			await expect(page.getByLabel('Search conversations')).toBeVisible();
			await measure('drawer');
			await page.keyboard.press('Escape');
		}
		await openMenu(page);
		await measure('menu');
		await page.keyboard.press('Escape');
		await page.goto('/settings');
		await expect(page.getByRole('heading', { name: 'Change password' })).toBeVisible();
		await measure('settings');
		await page.goto('/admin');
		await expect(page.getByRole('heading', { name: 'People' })).toBeVisible();
		await measure('admin');
		await page.goto('/admin/providers');
		await expect(page.getByRole('heading', { name: PROVIDER })).toBeVisible();
		await measure('admin-providers');
		expect(errors).toEqual([]);
		await context.close();
	});
}

test('a conversation opens at its newest message and follows a streaming reply', async ({
	browser
}) => {
	const context = await device(browser, 390, 844);
	const page = await context.newPage();
	const errors = watchErrors(page);
	await signIn(page, USER.username, USER.password);
	await openLong(page);
	await expect.poll(() => fromBottom(page)).toBeLessThanOrEqual(1);
	await expect(jump(page)).toHaveCount(0);

	stub.script = { text: SLOW_REPLY, chunkChars: 8, intervalMs: 25 };
	await composer(page).fill('Tell me something long');
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(lastReply(page)).toHaveAttribute('data-status', 'streaming');
	// The question and the start of its reply are on screen.
	await expect(page.locator('article.message.user').last()).toBeInViewport();
	await expect(lastReply(page)).toBeInViewport();
	// The reply grows taller than the view, and the view keeps up with it.
	const view = await thread(page).evaluate((el) => el.clientHeight);
	await expect
		.poll(() => lastReply(page).evaluate((el) => el.getBoundingClientRect().height))
		.toBeGreaterThan(view);
	await expect.poll(() => fromBottom(page)).toBeLessThanOrEqual(48);
	await expect(lastReply(page)).toHaveAttribute('data-status', 'streaming');

	// Scrolling up stops the following; the reply keeps growing below.
	await page.mouse.move(200, 400);
	await page.mouse.wheel(0, -400);
	await expect(jump(page)).toBeVisible();
	const top = await thread(page).evaluate((el) => el.scrollTop);
	const tall = await thread(page).evaluate((el) => el.scrollHeight);
	await expect
		.poll(() => thread(page).evaluate((el) => el.scrollHeight))
		.toBeGreaterThan(tall + 200);
	expect(Math.abs((await thread(page).evaluate((el) => el.scrollTop)) - top)).toBeLessThan(2);
	await expect(lastReply(page)).toHaveAttribute('data-status', 'streaming');

	// "Latest" goes back down and follows again.
	await jump(page).click();
	await expect(jump(page)).toHaveCount(0);
	const now = await thread(page).evaluate((el) => el.scrollHeight);
	await expect
		.poll(() => thread(page).evaluate((el) => el.scrollHeight))
		.toBeGreaterThan(now + 100);
	await expect.poll(() => fromBottom(page)).toBeLessThanOrEqual(48);
	await page.getByRole('button', { name: 'Stop' }).click();
	await expect(lastReply(page)).toHaveAttribute('data-status', 'cancelled');
	expect(errors).toEqual([]);
	await context.close();
});

test('a long conversation renders its newest messages first, older ones (and their markdown) as the reader scrolls up', async ({
	browser
}) => {
	const context = await device(browser, 390, 844);
	const page = await context.newPage();
	const errors = watchErrors(page);
	await signIn(page, USER.username, USER.password);
	await openLong(page);
	const messages = page.getByTestId('message');
	const first = await messages.count();
	expect(first).toBeLessThan(20);
	// The newest reply is markdown; the oldest rendered one, far above the view, is still text.
	await expect(lastReply(page).locator('.markdown p').first()).toBeAttached();
	const oldest = page.locator('article.message.assistant').first();
	const oldestId = await oldest.getAttribute('id');
	await expect(oldest.locator('table')).toHaveCount(0);
	await expect(oldest.getByTestId('message-content')).toContainText('| name |');

	// Scrolling up to the top of what is rendered brings older messages above it, while the
	// messages in view stay in view.
	const scrollTop = () => thread(page).evaluate((el) => el.scrollTop);
	const scrollUp = async () => {
		const before = await scrollTop();
		await page.mouse.move(200, 400);
		await page.mouse.wheel(0, -500);
		await expect.poll(scrollTop).not.toBe(before);
	};
	/** Scrolls up until more messages than `n` are rendered. */
	const scrollForMore = async (n: number) => {
		while ((await scrollTop()) > 0 && (await messages.count()) === n) await scrollUp();
		await expect.poll(() => messages.count()).toBeGreaterThan(n);
	};
	await scrollForMore(first);
	// The reader is not thrown to the top of what was added.
	await expect.poll(scrollTop).toBeGreaterThan(0);
	await expect(oldest).toBeAttached();
	await expect(page.locator(`#${oldestId} table`)).toHaveCount(1);
	await expect(jump(page)).toBeVisible();
	// Scrolling on up renders 40 by itself; the rest is one tap on "Show earlier".
	for (let n = await messages.count(); n < 40; n = await messages.count()) await scrollForMore(n);
	await page.getByRole('button', { name: /earlier messages/ }).click();
	await expect(page.locator('article.message.user').first()).toContainText(NEEDLE);
	await expect(page.getByRole('button', { name: /earlier messages/ })).toHaveCount(0);
	expect(errors).toEqual([]);
	await saveScreenshot(page, 'phone-long-conversation-top');
	await context.close();
});

test('a reply that fails while the reader is scrolled up is announced above the composer', async ({
	browser
}) => {
	const context = await device(browser, 390, 844);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	await openLong(page);
	stub.behaviour = 'status401';
	try {
		await composer(page).fill('This one will fail');
		await page.getByRole('button', { name: 'Send' }).click();
		await expect(lastReply(page)).toHaveAttribute('data-status', 'failed', { timeout: 15_000 });
		// In sight at the end of the thread, so not repeated.
		await expect(lastReply(page).getByRole('alert')).toBeInViewport();
		await expect(page.getByTestId('reply-failure')).toHaveCount(0);
		await page.mouse.move(200, 400);
		await page.mouse.wheel(0, -1500);
		await expect(page.getByTestId('reply-failure')).toBeInViewport();
		await page.getByTestId('reply-failure').getByRole('button', { name: 'Show' }).click();
		await expect(lastReply(page).getByRole('alert')).toBeInViewport();
		await expect(page.getByTestId('reply-failure')).toHaveCount(0);
	} finally {
		stub.behaviour = 'ok';
	}
	await context.close();
});

test('a search hit older than the rendered window opens at that message, highlighted', async ({
	browser
}) => {
	const context = await device(browser, 390, 844);
	const page = await context.newPage();
	const errors = watchErrors(page);
	await signIn(page, USER.username, USER.password);
	await page.getByTestId('drawer-button').click();
	await page.getByLabel('Search conversations').fill(NEEDLE);
	const hit = page.getByTestId('search-hit').first();
	await expect(hit.locator('mark')).toHaveText(new RegExp(NEEDLE, 'i'));
	await hit.getByRole('link').click();
	await expect(page).toHaveURL(new RegExp(`/c/${longId}#m${needleId}$`));
	const found = page.locator(`#m${needleId}`);
	await expect(found).toHaveClass(/highlight/);
	await expect(found).toBeInViewport();
	await expect(page.locator('#drawer')).toBeHidden();
	expect(await page.getByTestId('message').count()).toBeGreaterThan(40);
	await expect(jump(page)).toBeVisible();
	expect(errors).toEqual([]);
	await context.close();
});

test('the drawer: opens from the header, closes on a tap outside, Escape or a swipe', async ({
	browser
}) => {
	const context = await device(browser, 390, 844);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	const drawer = page.locator('#drawer');
	const open = async () => {
		await page.getByTestId('drawer-button').click();
		await expect(drawer).toBeVisible();
		// Slid all the way in (a touch during the slide could land beside it).
		await expect.poll(async () => (await drawer.boundingBox())!.x).toBe(0);
		await expect(drawer.getByRole('link', { name: '+ New chat' })).toBeInViewport();
		await expect(drawer.getByLabel('Search conversations')).toBeInViewport();
		await expect(page.getByTestId('drawer-button')).toHaveAttribute('aria-expanded', 'true');
	};
	await expect(drawer).toBeHidden();
	await open();
	// The chat behind is out of reach while the drawer covers it.
	expect(await page.locator('#main').evaluate((el) => (el as HTMLElement).inert)).toBe(true);
	await page.touchscreen.tap(375, 400); // on the dimmed chat beside the drawer
	await expect(drawer).toBeHidden();
	await open();
	await page.keyboard.press('Escape');
	await expect(drawer).toBeHidden();
	await open();
	const cdp = await context.newCDPSession(page);
	const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number) =>
		cdp.send('Input.dispatchTouchEvent', {
			type,
			touchPoints: type === 'touchEnd' ? [] : [{ x, y: 500 }]
		});
	await touch('touchStart', 250);
	for (const x of [220, 180, 140, 100]) await touch('touchMove', x);
	await touch('touchEnd', 100);
	await expect(drawer).toBeHidden();
	// Picking a conversation closes it too.
	await open();
	await drawer.locator(`a[href="/c/${longId}"]`).click();
	await expect(drawer).toBeHidden();
	await expect(page.getByTestId('header-title')).toContainText('A title with');
	await context.close();

	const wide = await device(browser, 1280, 800, false);
	const desk = await wide.newPage();
	await signIn(desk, USER.username, USER.password);
	await expect(desk.locator('#drawer')).toBeVisible();
	await expect(desk.getByTestId('drawer-button')).toBeHidden();
	await wide.close();
});

test('composer: Enter is a new line on a touch screen, and sends with a keyboard', async ({
	browser
}) => {
	stub.script = { text: 'Short answer.', chunkChars: 100, intervalMs: 1 };
	const context = await device(browser, 320, 640);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	// The placeholder fits in one line of the box.
	const fits = await composer(page).evaluate(
		(el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight
	);
	expect(fits).toBe(true);
	await composer(page).fill('first line');
	await composer(page).press('Enter');
	await composer(page).pressSequentially('second line');
	await expect(composer(page)).toHaveValue('first line\nsecond line');
	expect(new URL(page.url()).pathname).toBe('/');
	// Grows with the text to a few lines, then scrolls.
	await composer(page).fill('one line');
	const oneLine = (await composer(page).boundingBox())!.height;
	await composer(page).fill(Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n'));
	const grown = (await composer(page).boundingBox())!.height;
	expect(grown).toBeGreaterThan(oneLine * 2);
	expect(grown).toBeLessThan(640 / 2);
	expect(await composer(page).evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
	await composer(page).fill('first line\nsecond line');
	// An on-screen keyboard takes half the screen: the box and Send stay above it.
	await page.setViewportSize({ width: 320, height: 320 });
	await expectInside(composer(page), 320, 320);
	await expectInside(page.getByRole('button', { name: 'Send' }), 320, 320);
	expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThanOrEqual(320);
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(page).toHaveURL(/\/c\/\d+$/);
	await expect(page.locator('article.message.user').last()).toContainText('second line');
	await context.close();

	const wide = await device(browser, 1280, 800, false);
	const desk = await wide.newPage();
	await signIn(desk, USER.username, USER.password);
	await composer(desk).fill('one');
	await composer(desk).press('Shift+Enter');
	await composer(desk).pressSequentially('two');
	await expect(composer(desk)).toHaveValue('one\ntwo');
	await composer(desk).press('Enter');
	await expect(desk).toHaveURL(/\/c\/\d+$/);
	await expect(desk.locator('article.message.user').last()).toContainText('two');
	await wide.close();
});

test('/help, command answers and errors show next to the composer and can be dismissed', async ({
	browser
}) => {
	const context = await device(browser, 390, 844);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	await openLong(page);
	// On a touch screen Enter starts a line: commands go with the Send button.
	const submit = async (p: Page, text: string) => {
		await composer(p).fill(text);
		await p.getByRole('button', { name: 'Send' }).click();
	};
	const composerTop = async () => (await composer(page).boundingBox())!.y;
	const justAbove = async (locator: Locator) => {
		await expect(locator).toBeInViewport({ ratio: 1 });
		const box = (await locator.boundingBox())!;
		expect(box.y + box.height).toBeLessThanOrEqual(await composerTop());
	};

	await submit(page, '/help');
	await justAbove(page.getByTestId('slash-help'));
	await page.getByTestId('slash-help').getByRole('button', { name: 'Close' }).click();
	await expect(page.getByTestId('slash-help')).toHaveCount(0);

	await submit(page, '/bogus');
	await justAbove(page.getByTestId('command-notice'));
	await expect(page.getByTestId('command-notice')).toContainText('Unknown command /bogus');
	await page.getByTestId('chat-feedback').getByRole('button', { name: 'Dismiss' }).click();
	await expect(page.getByTestId('command-notice')).toHaveCount(0);

	await submit(page, '/temp 0.4');
	await expect(page.getByTestId('command-notice')).toHaveText('Temperature: 0.4');
	await justAbove(page.getByTestId('command-notice'));

	await submit(page, '/image a lighthouse');
	await justAbove(page.getByTestId('chat-error'));
	await expect(page.getByTestId('chat-error')).toContainText('needs an OpenAI provider');
	await page.getByTestId('chat-error').getByRole('button', { name: 'Dismiss' }).click();
	await expect(page.getByTestId('chat-error')).toHaveCount(0);
	await context.close();
});

test('the thread does not shift when the usage line arrives after the messages', async ({
	browser
}) => {
	const context = await device(browser, 390, 844);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	let release!: () => void;
	const held = new Promise<void>((resolve) => (release = resolve));
	await page.route('**/api/usage**', async (route) => {
		await held;
		await route.continue();
	});
	await openLong(page);
	// The dock grows upwards, so the thread's view is what would shrink (and its text jump).
	const before = (await thread(page).boundingBox())!.height;
	release();
	await expect(page.getByTestId('usage')).toBeVisible();
	expect((await thread(page).boundingBox())!.height).toBe(before);
	await context.close();
});

test('accessibility: skip link, target sizes, placeholder contrast, theme named in words', async ({
	browser
}) => {
	for (const colorScheme of ['dark', 'light'] as const) {
		const context: BrowserContext = await browser.newContext({
			viewport: { width: 390, height: 844 },
			isMobile: true,
			hasTouch: true,
			colorScheme
		});
		const page = await context.newPage();
		await signIn(page, USER.username, USER.password);
		await openLong(page);

		// The first Tab reaches the skip link, which moves focus to the content.
		await page.keyboard.press('Tab');
		const skip = page.getByRole('link', { name: 'Skip to content' });
		await expect(skip).toBeFocused();
		await expect(skip).toBeInViewport();
		await page.keyboard.press('Enter');
		await expect(page.locator('#main')).toBeFocused();

		// Header and composer controls are at least 44 px tall; nothing on screen under 24 px.
		for (const control of [
			page.getByTestId('drawer-button'),
			page.getByRole('link', { name: 'New chat' }),
			page.getByTestId('menu-button'),
			page.getByRole('button', { name: 'Send' }),
			composer(page),
			page.getByLabel('Model')
		]) {
			expect((await control.boundingBox())!.height).toBeGreaterThanOrEqual(44);
		}
		const small = await page.evaluate(() =>
			[...document.querySelectorAll('a, button, input, select, textarea, summary')]
				.filter((el) => !(el.tagName === 'A' && el.parentElement?.tagName === 'P'))
				// Not a target: hidden from everyone (the composer's file input, opened by its button).
				.filter((el) => el.getAttribute('aria-hidden') !== 'true')
				.map((el) => ({ el, box: el.getBoundingClientRect() }))
				.filter(({ box }) => box.width > 0 && box.bottom > 0 && box.top < innerHeight)
				.filter(({ box }) => box.height < 24 || box.width < 24)
				.map(({ el }) => el.outerHTML.slice(0, 80))
		);
		expect(small).toEqual([]);

		// The placeholder reads at 4.5:1 or better against the box behind it.
		const ratio = await composer(page).evaluate((el) => {
			const rgb = (css: string) =>
				css
					.match(/\d+(\.\d+)?/g)!
					.slice(0, 3)
					.map(Number);
			const luminance = (css: string) => {
				const [r, g, b] = rgb(css).map((v) => {
					const c = v / 255;
					return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
				});
				return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
			};
			const fg = luminance(getComputedStyle(el, '::placeholder').color);
			const bg = luminance(getComputedStyle(el).backgroundColor);
			return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
		});
		expect(ratio, colorScheme).toBeGreaterThanOrEqual(4.5);

		// Highlighted code reads at 4.5:1 or better against its block (Lighthouse's color-contrast).
		// Earlier tests may have added replies without code, and markdown renders near the view:
		// scroll up (a bounded number of steps) until a code block is on the page. (The highlighter
		// works in the background: wait for its colours.)
		const blocks = page.locator('article.message.assistant pre');
		for (let step = 0; step < 40 && (await blocks.count()) === 0; step++) {
			await page.mouse.move(200, 400);
			await page.mouse.wheel(0, -600);
			await page.waitForTimeout(100);
		}
		const code = blocks.last();
		await expect(code.locator('[class^="tok-"]').first()).toBeAttached({ timeout: 15_000 });
		const worst = await code.evaluate((pre) => {
			const luminance = (css: string) => {
				const [r, g, b] = css
					.match(/\d+(\.\d+)?/g)!
					.slice(0, 3)
					.map((v) => {
						const c = Number(v) / 255;
						return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
					});
				return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
			};
			const bg = luminance(getComputedStyle(pre.closest('.code-block') ?? pre).backgroundColor);
			const ratios = [...pre.querySelectorAll('[class^="tok-"]')].map((token) => {
				const fg = luminance(getComputedStyle(token).color);
				return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
			});
			return ratios.length ? Math.min(...ratios) : NaN;
		});
		expect(worst, colorScheme).toBeGreaterThanOrEqual(4.5);

		// The composer is a plain textbox (a textarea may not be a combobox) whose aria-controls
		// names the command list only while that list exists.
		await expect(composer(page)).not.toHaveAttribute('aria-controls');
		await composer(page).fill('/');
		await expect(composer(page)).toHaveAttribute('aria-controls', 'slash-suggestions');
		await expect(page.locator('#slash-suggestions')).toBeVisible();
		await composer(page).fill('');

		// A wide table scrolls inside its box; its long word stays on one line, unbroken.
		const table = page.locator('article.message.assistant table').last();
		await table.scrollIntoViewIfNeeded();
		expect(await table.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
		const lines = await table.locator('td', { hasText: 'Supercali' }).evaluate((el) => {
			const range = document.createRange();
			range.selectNodeContents(el);
			return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
		});
		expect(lines).toBe(1);

		// The theme toggle says its state in words.
		await openMenu(page);
		await expect(page.getByTestId('theme-state')).toHaveText(
			`Theme: automatic (${colorScheme} now)`
		);
		await expect(page.getByTestId('theme-toggle')).toHaveAccessibleName(
			`Theme: automatic (${colorScheme} now). Change theme`
		);
		await context.close();
	}
});
