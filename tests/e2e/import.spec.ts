// Moving in from the phone: Settings → Import with a ChatGPT export, the progress bar, then an
// imported conversation with its branches as they were.
import { expect, test } from '@playwright/test';
import { ensureUser, saveScreenshot, signIn } from './helpers';
import { makeZip } from '../support/zip';
import { chatgptLinearConversation, chatgptRichConversation } from '../support/import-fixtures';

const USER = { username: 'mover', password: 'mover-password-1' };

test('phone 390×844: import a ChatGPT ZIP with progress, then switch between its branches', async ({
	browser
}) => {
	ensureUser(USER.username, USER.password);
	const context = await browser.newContext({
		viewport: { width: 390, height: 844 },
		deviceScaleFactor: 2,
		isMobile: true,
		hasTouch: true
	});
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	await page.goto('/settings');
	const section = page.getByTestId('import-section');
	await expect(section.getByRole('heading', { name: 'Import' })).toBeVisible();

	const conversations = [
		{
			...chatgptRichConversation('phone-rich'),
			title: 'Sine wave branches'
		},
		...Array.from({ length: 300 }, (_, i) => chatgptLinearConversation(`phone-${i}`, 4))
	];
	const zip = makeZip([{ name: 'conversations.json', data: JSON.stringify(conversations) }]);
	await section.getByLabel('Export file').setInputFiles({
		name: 'chatgpt-export.zip',
		mimeType: 'application/zip',
		buffer: zip
	});
	await section.getByRole('button', { name: 'Import' }).click();
	const status = section.getByTestId('import-status');
	await expect(status.getByRole('progressbar', { name: 'Import progress' })).toBeVisible();
	await expect(status).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
	await expect(section.getByTestId('import-counts')).toContainText('301 imported of 301');

	// The progress survives a reload.
	await page.reload();
	await expect(page.getByTestId('import-status')).toHaveAttribute('data-state', 'done');
	const overflow = await page.evaluate(
		() => document.documentElement.scrollWidth - document.documentElement.clientWidth
	);
	expect(overflow).toBeLessThanOrEqual(0);
	await page.getByTestId('import-section').evaluate((el) => el.scrollIntoView({ block: 'start' }));
	await saveScreenshot(page, 'import');

	// The first imported conversation opens on ChatGPT's current branch ("Make it red").
	await page.getByRole('link', { name: 'Open the imported conversations' }).click();
	await expect(page.getByText('Red it is')).toBeVisible();
	const position = page.getByTestId('sibling-position');
	await expect(position).toHaveText('2/2');
	await page.getByRole('button', { name: 'Previous version' }).click();
	await expect(position).toHaveText('1/2');
	await expect(page.getByText('Blue it is')).toBeVisible();
	await expect(page.getByText('Red it is')).toHaveCount(0);
	await page.getByRole('button', { name: 'Next version' }).click();
	await expect(page.getByText('Red it is')).toBeVisible();
	await context.close();
});
