// The content policy on a phone (390×844, touch): the admin adds a keyword rule, a message that
// breaks it is answered with the rule's refusal at once, and the rule's count goes up; kept refused
// texts are listed per rule while the admin keeps them and deleted when that is turned off.
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

test('the admin keeps refused texts on a phone, reads them per rule, and turning off deletes them', async ({
	browser
}) => {
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await signIn(page, ADMIN.username, ADMIN.password);
	const section = page.locator('section', {
		has: page.getByRole('heading', { name: 'Content policy' })
	});
	const keep = section.getByRole('switch', { name: /Keep the text of refused messages/ });
	const openAdmin = async () => {
		await page.goto('/admin');
		await page.locator('html[data-ready]').waitFor({ state: 'attached' });
		await expect(section.getByTestId('policy-rules')).toBeVisible();
	};
	await openAdmin();
	await expect(keep).not.toBeChecked();
	await section.getByLabel('Rule name').fill('Amber kite');
	await section.getByLabel('Keywords, one per line').fill('amber kite');
	await section.getByLabel('Refusal message').fill('No amber kites here.');
	await section.getByRole('button', { name: 'Add rule' }).tap();
	const rule = section
		.getByTestId('policy-rules')
		.getByRole('listitem')
		.filter({ hasText: 'Amber kite' })
		.first();
	await expect(rule).toContainText('0 refused in 30 days');
	await expect(rule.getByRole('button', { name: 'Show refused texts' })).toHaveCount(0);
	await keep.tap();
	await expect(section.getByRole('status')).toContainText('Refused texts will be kept.');
	await expect(keep).toBeChecked();

	await page.goto('/');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const said = 'Where can I buy an AMBER KITE for the beach?';
	await page.getByRole('textbox', { name: 'Message' }).fill(said);
	await page.getByRole('button', { name: 'Send' }).tap();
	await expect(
		page.locator('article.message.assistant').last().getByTestId('message-content')
	).toHaveText('No amber kites here.');

	await openAdmin();
	await expect(keep).toBeChecked();
	await expect(rule).toContainText('1 refused in 30 days');
	await rule.getByRole('button', { name: 'Show refused texts' }).tap();
	const texts = rule.getByTestId('refused-texts');
	await expect(texts.getByRole('listitem')).toHaveCount(1);
	await expect(texts).toContainText(said);
	await expect(texts).toContainText(`${ADMIN.username} · chat ·`);
	await rule.scrollIntoViewIfNeeded();
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	expect(width).toBeLessThanOrEqual(PHONE.viewport.width);
	await saveScreenshot(page, 'content-policy-refused-texts-phone');

	// Off: the kept texts are deleted; on again, the rule has none.
	await keep.tap();
	await expect(section.getByRole('status')).toContainText('Kept refused texts deleted.');
	await expect(texts).toHaveCount(0);
	await expect(rule.getByRole('button', { name: 'Show refused texts' })).toHaveCount(0);
	await keep.tap();
	await expect(keep).toBeChecked();
	await rule.getByRole('button', { name: 'Show refused texts' }).tap();
	await expect(texts).toContainText('No refused texts kept for this rule.');
	await keep.tap();
	await expect(keep).not.toBeChecked();

	await rule.getByRole('button', { name: 'Remove rule Amber kite' }).tap();
	await expect(rule).toHaveCount(0);
	expect(errors).toEqual([]);
	await context.close();
});
