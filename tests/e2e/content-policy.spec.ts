// The content policy on a phone (390×844, touch): the admin adds a keyword rule, a message that
// breaks it is answered with the rule's refusal at once, and the rule's count goes up.
import { expect, test } from '@playwright/test';
import { ensureUser, saveScreenshot, signIn } from './helpers';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;
const ADMIN = { username: 'policyadmin', password: 'policy-admin-password' };
const KEYWORD = 'zebra quartz';
const REFUSAL = 'Hearth will not talk about zebra quartz.';

test.beforeAll(() => ensureUser(ADMIN.username, ADMIN.password, true));

test('the admin adds a rule on a phone and a breaking message gets its refusal', async ({
	browser
}) => {
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const section = page.locator('section', {
		has: page.getByRole('heading', { name: 'Content policy' })
	});
	await expect(section.getByTestId('policy-rules')).toBeVisible();
	await section.getByLabel('Rule name').fill('Zebra quartz');
	await section.getByLabel('Keywords, one per line').fill(`${KEYWORD}\nquartz zebra`);
	await section.getByLabel('Refusal message').fill(REFUSAL);
	await section.getByRole('button', { name: 'Add rule' }).tap();
	const rule = section
		.getByTestId('policy-rules')
		.getByRole('listitem')
		.filter({ hasText: 'Zebra quartz' });
	await expect(rule).toContainText('0 refused in 30 days');

	// A bad regex is refused with the reason.
	await section.getByLabel('Kind').selectOption('regex');
	await section.getByLabel('Rule name').fill('Bad');
	await section.getByLabel('Regular expression').fill('(a+)+');
	await section.getByLabel('Refusal message').fill('no');
	await section.getByRole('button', { name: 'Add rule' }).tap();
	await expect(section.getByRole('alert')).toContainText('nested quantifiers');

	await page.goto('/');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByRole('textbox', { name: 'Message' }).fill(`Tell me about ZEBRA QUARTZ`);
	await page.getByRole('button', { name: 'Send' }).tap();
	const reply = page.locator('article.message.assistant').last();
	await expect(reply.getByTestId('message-content')).toHaveText(REFUSAL);
	await expect(reply).toHaveAttribute('data-status', 'done');

	await page.goto('/admin');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await expect(rule).toContainText('1 refused in 30 days');
	await section.scrollIntoViewIfNeeded();
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	expect(width).toBeLessThanOrEqual(PHONE.viewport.width);
	await saveScreenshot(page, 'content-policy-phone');

	await rule.getByRole('button', { name: 'Remove rule Zebra quartz' }).tap();
	await expect(rule).toHaveCount(0);
	expect(errors).toEqual([]);
	await context.close();
});

test('the admin adds a guard-model rule that fails closed and screens replies, on a phone', async ({
	browser
}) => {
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const section = page.locator('section', {
		has: page.getByRole('heading', { name: 'Content policy' })
	});
	await expect(section.getByTestId('policy-rules')).toBeVisible();
	await section.getByLabel('Kind').selectOption('guard');
	await section.getByLabel('Rule name').fill('Llama Guard');
	await section.getByLabel('Guard model (provider/model or alias)').fill('llama/llama-guard-3');
	await section.getByLabel('Refusal message').fill('The guard model refused this.');
	await section.getByLabel(/Refuse when the guard model gives no verdict/).check();
	await section.getByLabel(/Also screen finished replies/).check();
	await section.getByRole('button', { name: 'Add rule' }).tap();
	const rule = section
		.getByTestId('policy-rules')
		.getByRole('listitem')
		.filter({ hasText: 'Llama Guard' });
	await expect(rule).toContainText('guard model · 0 refused in 30 days');
	await expect(rule).toContainText('screens replies · refuses if no verdict');
	await expect(rule).toContainText('llama/llama-guard-3');

	// The form keeps the guard kind after a save: its fields and switches are on screen too.
	await expect(section.getByLabel('Kind')).toHaveValue('guard');
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	expect(width).toBeLessThanOrEqual(PHONE.viewport.width);
	await rule.scrollIntoViewIfNeeded();
	await saveScreenshot(page, 'content-policy-guard-phone');

	await rule.getByRole('button', { name: 'Remove rule Llama Guard' }).tap();
	await expect(rule).toHaveCount(0);
	expect(errors).toEqual([]);
	await context.close();
});
