// The admin page's "require two-factor for everyone" switch, at phone size: refused until the
// admin has a second factor, then on (a user without one is taken to enrolment), then off.
import { expect, test, type Page } from '@playwright/test';
import { generateHOTP } from '@oslojs/otp';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { ensureUser, hearthCli, saveScreenshot, signIn } from './helpers';

const WARDEN = { username: 'warden', password: 'warden-password-1' };
const GALE = { username: 'gale', password: 'gale-password-1' };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/** The code of the previous 30-second step (accepted as clock drift), so enrolling spends no current code. */
function previousCode(manualKey: string): string {
	const step = Math.floor(Date.now() / 30_000) - 1;
	return generateHOTP(decodeBase32IgnorePadding(manualKey), BigInt(step), 6);
}

async function enrolTotp(page: Page) {
	await page.goto('/settings/two-factor');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
	const key = (await page.getByTestId('totp-key').textContent())!.trim();
	await page.getByLabel('Code from the app').fill(previousCode(key));
	await page.getByRole('button', { name: 'Turn on' }).click();
	await expect(page.getByTestId('recovery-codes').getByRole('listitem')).toHaveCount(10);
	await page.getByRole('button', { name: /I saved them/ }).click();
}

test('the admin switch requires two-factor for everyone, at 390×844', async ({
	browser,
	baseURL
}) => {
	test.setTimeout(60_000);
	ensureUser(WARDEN.username, WARDEN.password, true);
	ensureUser(GALE.username, GALE.password);
	const context = await browser.newContext({ ...PHONE, baseURL });
	const page = await context.newPage();
	try {
		await signIn(page, WARDEN.username, WARDEN.password);
		await page.goto('/admin');
		await page.locator('html[data-ready]').waitFor({ state: 'attached' });
		const toggle = page.getByRole('switch', { name: /Require two-factor sign-in for everyone/ });
		await expect(toggle).not.toBeChecked();

		// Without a second factor of their own, the admin is refused and nothing changes.
		await toggle.tap();
		await expect(page.getByText(/for yourself first/)).toBeVisible();
		await expect(toggle).not.toBeChecked();
		expect((await page.request.get('/api/me/two-factor')).ok()).toBe(true);

		await enrolTotp(page);
		await page.goto('/admin');
		await page.locator('html[data-ready]').waitFor({ state: 'attached' });
		await toggle.tap();
		await expect(page.getByText(/Everyone now needs two-factor/)).toBeVisible();
		await expect(toggle).toBeChecked();
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
			390
		);
		await saveScreenshot(page, 'admin-two-factor-phone');

		// A person without two-factor is now taken to enrolment after signing in.
		const other = await browser.newContext({ ...PHONE, baseURL });
		const otherPage = await other.newPage();
		await signIn(otherPage, GALE.username, GALE.password);
		await expect(otherPage).toHaveURL(/\/settings\/two-factor$/);
		await other.close();

		await toggle.tap();
		await expect(page.getByText(/now optional/)).toBeVisible();
		await expect(toggle).not.toBeChecked();
		await page.reload();
		await expect(
			page.getByRole('switch', { name: /Require two-factor sign-in for everyone/ })
		).not.toBeChecked();
	} finally {
		expect(hearthCli(['user', 'require-2fa', 'off'])).toMatchObject({ status: 0 });
		await context.close();
	}
});
