// The password card on a phone (390×844) says that API keys outlive a password change and links
// to them: the link lands on the API keys section.
import { expect, test } from '@playwright/test';
import { ensureUser, saveScreenshot, signIn } from './helpers';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;
const USER = { username: 'passwordkeys', password: 'password-keys-password' };

test.beforeAll(() => ensureUser(USER.username, USER.password));

test('the change-password card says keys keep working and links to them', async ({ browser }) => {
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await signIn(page, USER.username, USER.password);
	await page.goto('/settings');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const note = page.getByTestId('password-keys-note');
	await expect(note).toContainText('Your API keys keep working after a change');
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	expect(width).toBeLessThanOrEqual(PHONE.viewport.width);
	await saveScreenshot(page, 'password-keys-note-phone');
	await note.getByRole('link', { name: 'review or revoke them' }).tap();
	await expect(page).toHaveURL(/#api-keys-heading$/);
	await expect(page.getByRole('heading', { name: 'API keys' })).toBeInViewport();
	// Below the sticky header, not under it.
	const header = (await page.locator('header').first().boundingBox())!;
	const heading = (await page.getByRole('heading', { name: 'API keys' }).boundingBox())!;
	expect(heading.y).toBeGreaterThanOrEqual(header.y + header.height);
	expect(errors).toEqual([]);
	await context.close();
});
