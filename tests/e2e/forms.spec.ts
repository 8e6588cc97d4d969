// The settings panels and the chat's sheets at 390×844 on a touch screen, each filled in the way a
// user leaves it: prompts and presets (one being edited), passkeys, API keys (a new key's secret),
// the admin's API keys and content policy, the conversation settings sheet and both prompt sheets.
// None of them scrolls sideways; each is saved as a screenshot to look at. On a wide screen the
// settings sheet is a side panel, a prompt sheet a centred box.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { ensureUser, signIn } from './helpers';

const ADMIN = { username: 'formsadmin', password: 'forms-admin-password' };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;
const WIDE = { width: 1280, height: 800 } as const;

/** A screenshot of one part of the page, beside the other e2e screenshots. */
async function shot(target: Locator | Page, name: string) {
	const dir = process.env.HEARTH_SCREENSHOTS;
	if (dir) fs.mkdirSync(dir, { recursive: true });
	const file = dir ? path.join(dir, `${name}.png`) : test.info().outputPath(`${name}.png`);
	await target.screenshot({ path: file });
}

async function expectNoSideScroll(page: Page) {
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
		PHONE.viewport.width
	);
}

test('settings panels and chat sheets fit a phone', async ({ browser }) => {
	ensureUser(ADMIN.username, ADMIN.password, true);
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await signIn(page, ADMIN.username, ADMIN.password);
	await expect(page.getByLabel('Model')).not.toHaveValue('');
	const headers = { origin: new URL(page.url()).origin };
	for (const [url, data] of [
		[
			'/api/prompts',
			{ command: 'formverse', title: 'Verse', text: 'A verse on {{topic|the sea}}' }
		],
		[
			'/api/presets',
			{ name: 'Forms terse', temperature: 0.3, reasoning: 'low', systemPrompt: 'Be terse.' }
		]
	] as const) {
		const made = await page.request.post(url, { data, headers });
		expect(made.status(), url).toBe(201);
	}

	await page.goto('/settings');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const library = page.getByTestId('prompt-library');
	await expect(library.getByTestId('preset-list')).toContainText('Forms terse');
	await library.getByRole('button', { name: 'Edit preset Forms terse' }).tap();
	await expect(page.getByTestId('preset-form').getByLabel('System prompt')).toHaveValue(
		'Be terse.'
	);
	await expectNoSideScroll(page);
	await shot(library, 'forms-prompt-library');

	const passkeys = page.locator('section', {
		has: page.getByRole('heading', { name: 'Passkeys' })
	});
	await expect(passkeys.getByTestId('passkeys')).toBeVisible();
	await shot(passkeys, 'forms-passkeys');

	const keys = page.locator('section', {
		has: page.getByRole('heading', { name: 'API keys', exact: true })
	});
	await keys.getByLabel('Name').fill('Forms script');
	await keys.getByRole('button', { name: 'Create key' }).tap();
	await expect(keys.getByTestId('api-key-secret')).toBeVisible();
	await expectNoSideScroll(page);
	await shot(keys, 'forms-api-keys');

	await page.goto('/admin');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const allKeys = page.locator('section', { has: page.getByTestId('all-api-keys') });
	await expect(allKeys.getByTestId('all-api-keys')).toContainText('Forms script');
	await shot(allKeys, 'forms-admin-api-keys');
	const policy = page.locator('section', {
		has: page.getByRole('heading', { name: 'Content policy' })
	});
	// Keywords no other test sends; the rule goes at once (the e2e specs share one server).
	await policy.getByLabel('Rule name').fill('Forms rule');
	await policy.getByLabel(/Keywords/).fill('xyzzy-forms\nplugh-forms');
	await policy.getByLabel('Refusal message').fill('Not that.');
	await policy.getByRole('button', { name: 'Add rule' }).tap();
	await expect(policy.getByTestId('policy-rules')).toContainText('Forms rule');
	await expectNoSideScroll(page);
	await shot(policy, 'forms-content-policy');
	await policy.getByRole('button', { name: 'Remove rule Forms rule' }).tap();
	await expect(policy.getByTestId('policy-rules')).not.toContainText('Forms rule');
	await allKeys.getByRole('button', { name: /API key Forms script/ }).tap();
	await expect(allKeys.getByTestId('all-api-keys')).not.toContainText('Forms script');

	await page.goto('/');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByRole('button', { name: 'Settings', exact: true }).tap();
	const settings = page.getByRole('dialog', { name: 'Conversation settings' });
	await expect(settings.getByLabel('Reasoning')).toBeVisible();
	await expectNoSideScroll(page);
	await shot(page, 'forms-settings-sheet');
	await settings.getByRole('button', { name: 'Cancel' }).tap();
	await expect(settings).toBeHidden();

	const composer = page.getByRole('textbox', { name: 'Message' });
	await composer.fill('Summarize {{text}}');
	await page.getByRole('button', { name: 'Save as prompt' }).tap();
	const save = page.getByRole('dialog', { name: 'Save as prompt' });
	await expect(save.getByLabel(/Command/)).toBeFocused();
	await save.getByRole('button', { name: 'Save prompt' }).tap();
	await expect(save.getByRole('alert')).toBeVisible();
	await expectNoSideScroll(page);
	await shot(page, 'forms-save-prompt-sheet');
	await save.getByRole('button', { name: 'Cancel' }).tap();
	await expect(save).toBeHidden();

	await composer.fill('/formverse');
	await page.keyboard.press('Escape');
	await page.getByRole('button', { name: 'Send' }).tap();
	const fill = page.getByRole('dialog', { name: 'Verse' });
	await expect(fill.getByLabel('topic')).toBeFocused();
	await expectNoSideScroll(page);
	await shot(page, 'forms-fill-prompt-sheet');
	await fill.getByRole('button', { name: 'Use prompt' }).tap();
	await expect(composer).toHaveValue('A verse on the sea');
	expect(errors).toEqual([]);

	await page.goto('/settings');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByRole('button', { name: 'Delete prompt formverse' }).tap();
	await expect(page.getByTestId('prompt-list')).not.toContainText('formverse');
	await page.getByRole('button', { name: 'Delete preset Forms terse' }).tap();
	await expect(page.getByTestId('preset-list')).not.toContainText('Forms terse');
	await context.close();
});

test('on a wide screen the settings sheet is a side panel and a prompt sheet is centred', async ({
	browser
}) => {
	ensureUser(ADMIN.username, ADMIN.password, true);
	const context = await browser.newContext({ viewport: WIDE });
	const page = await context.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	await expect(page.getByLabel('Model')).not.toHaveValue('');
	await page.getByRole('button', { name: 'Settings', exact: true }).click();
	const settings = page.getByRole('dialog', { name: 'Conversation settings' });
	const side = (await settings.boundingBox())!;
	expect(side.x + side.width).toBeCloseTo(WIDE.width, 0);
	expect(side.height).toBeCloseTo(WIDE.height, 0);
	await shot(page, 'forms-settings-sheet-wide');
	await page.keyboard.press('Escape');
	await expect(settings).toBeHidden();

	await page.getByRole('textbox', { name: 'Message' }).fill('Summarize {{text}}');
	await page.getByRole('button', { name: 'Save as prompt' }).click();
	const save = (await page.getByRole('dialog', { name: 'Save as prompt' }).boundingBox())!;
	expect(save.x + save.width / 2).toBeCloseTo(WIDE.width / 2, 0);
	expect(save.y).toBeGreaterThan(0);
	expect(save.y + save.height).toBeLessThan(WIDE.height);
	await shot(page, 'forms-save-prompt-sheet-wide');
	await context.close();
});
