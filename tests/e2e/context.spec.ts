// The context window on a phone (390×844, touch): a conversation longer than the test model's
// small window shows the "not sent to the model" divider before the first message the newest
// reply saw, the context gauge in the toolbar, and Continue on a reply cut by its token limit,
// which extends that same message. Replies come from the e2e llama-server (768 tokens a slot).
import { expect, test, type Page } from '@playwright/test';
import { ensureUser, saveScreenshot, signIn } from './helpers';
import type { ConversationDto, SendResultDto } from '$lib/shared/dto';

const USER = { username: 'context.reader', password: 'context-reader-password' };
const PHONE = { width: 390, height: 844 };

async function api<T>(page: Page, method: 'POST' | 'GET', url: string, data?: unknown) {
	const origin = new URL(page.url()).origin;
	const response = await page.request.fetch(url, { method, data, headers: { origin } });
	expect(response.ok(), await response.text()).toBe(true);
	return (await response.json()) as T;
}

async function settled(page: Page, id: number, replyId: number) {
	await expect
		.poll(
			async () =>
				(await api<ConversationDto>(page, 'GET', `/api/conversations/${id}`)).messages.find(
					(m) => m.id === replyId
				)?.status,
			{ intervals: [100, 250], timeout: 20_000 }
		)
		.toBe('done');
}

test('a long chat on a phone: the left-out divider, the gauge and Continue', async ({
	browser
}) => {
	test.setTimeout(90_000);
	ensureUser(USER.username, USER.password);
	const context = await browser.newContext({
		viewport: PHONE,
		colorScheme: 'dark',
		deviceScaleFactor: 2,
		isMobile: true,
		hasTouch: true
	});
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	const conversation = await api<ConversationDto>(page, 'POST', '/api/conversations', {});
	let last: SendResultDto | null = null;
	// Four turns fill the window. The test model's 4 tokens can all be pieces of characters it never
	// finishes (an empty reply, which has nothing to continue): then one more turn, a few at most.
	const lastReplyEmpty = async () =>
		(await api<ConversationDto>(page, 'GET', `/api/conversations/${conversation.id}`)).messages.at(
			-1
		)?.content === '';
	for (let turn = 1; turn <= 4 || (turn <= 8 && (await lastReplyEmpty())); turn++) {
		last = await api<SendResultDto>(
			page,
			'POST',
			`/api/conversations/${conversation.id}/messages`,
			{
				content:
					`Question ${turn}: ` + 'how does the hearth keep the house warm at night? '.repeat(5),
				maxTokens: 4
			}
		);
		await settled(page, conversation.id, last.reply.id);
	}
	const read = await api<ConversationDto>(page, 'GET', `/api/conversations/${conversation.id}`);
	const omitted = read.messages.at(-1)!.context!.omitted;
	expect(omitted.length).toBeGreaterThan(0);

	await page.goto(`/c/${conversation.id}`);
	const gauge = page.getByTestId('context-gauge');
	await expect(gauge).toBeVisible();
	await expect(gauge).toHaveAttribute('aria-label', /Context window: \d+ of 768 tokens used/);
	// The divider stands right after the last message the newest reply left out; those are marked.
	const divider = page.getByTestId('context-divider');
	await expect(divider).toHaveText('Earlier messages were not sent to the model (context full)');
	const lastLeftOut = read.messages.findLastIndex((m) => omitted.includes(m.id));
	const firstSent = read.messages[lastLeftOut + 1]!;
	await expect(page.locator(`[data-testid="context-divider"] + #m${firstSent.id}`)).toHaveCount(1);
	// A phone renders the newest messages first: every left-out one on screen is marked (when a
	// turn had to be repeated, the oldest are not rendered yet).
	const onScreen = await page.evaluate(
		(ids) => ids.filter((id) => document.getElementById(`m${id}`)).length,
		omitted
	);
	expect(onScreen).toBeGreaterThan(0);
	await expect(page.locator('[data-left-out]')).toHaveCount(onScreen);
	// The newest reply was cut by its 4-token limit: it offers Continue.
	const reply = page.locator(`#m${last!.reply.id}`);
	const continueButton = reply.getByTestId('continue');
	await expect(continueButton).toBeVisible();
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
		PHONE.width
	);
	await saveScreenshot(page, 'context-phone-continue');
	await divider.scrollIntoViewIfNeeded();
	await saveScreenshot(page, 'context-phone-divider');

	const before = (await reply.getByTestId('message-content').textContent()) ?? '';
	const continued = page.waitForResponse((r) => r.url().endsWith('/continue'));
	await continueButton.tap();
	expect((await continued).status()).toBe(202);
	await expect(reply).toHaveAttribute('data-status', 'done', { timeout: 20_000 });
	await settled(page, conversation.id, last!.reply.id);
	const after = await api<ConversationDto>(page, 'GET', `/api/conversations/${conversation.id}`);
	const extended = after.messages.find((m) => m.id === last!.reply.id)!;
	expect(after.messages).toHaveLength(read.messages.length);
	expect(extended.content.startsWith(read.messages.at(-1)!.content)).toBe(true);
	expect(extended.content.length).toBeGreaterThan(read.messages.at(-1)!.content.length);
	expect(before.length).toBeGreaterThan(0);
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
		PHONE.width
	);
	await saveScreenshot(page, 'context-phone-continued');
	await context.close();
});

test('a message too long for the window is refused with the figures, then sent truncated', async ({
	browser
}) => {
	test.setTimeout(60_000);
	ensureUser(USER.username, USER.password);
	const context = await browser.newContext({
		viewport: PHONE,
		colorScheme: 'dark',
		deviceScaleFactor: 2,
		isMobile: true,
		hasTouch: true
	});
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	const conversation = await api<ConversationDto>(page, 'POST', '/api/conversations', {});
	await page.goto(`/c/${conversation.id}`);
	await page.getByPlaceholder('Message or /command').fill('A very long letter. '.repeat(200));
	await page.getByRole('button', { name: 'Send' }).tap();
	const notice = page.getByTestId('context-overflow');
	await expect(notice).toBeVisible();
	await expect(page.getByText(/needs \d+ tokens but the model has room for \d+/)).toBeVisible();
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
		PHONE.width
	);
	await saveScreenshot(page, 'context-phone-overflow');
	await notice.getByRole('button', { name: 'Send truncated' }).tap();
	await expect(notice).toHaveCount(0);
	const reply = page.locator('article.assistant');
	await expect(reply).toHaveAttribute('data-status', 'done', { timeout: 20_000 });
	await expect(page.getByTestId('context-gauge')).toBeVisible();
	await context.close();
});
