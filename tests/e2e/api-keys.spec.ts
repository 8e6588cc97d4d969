// API keys and model aliases on a phone (390×844, touch): a user makes a key, sees its secret
// once, uses it on /v1 and revokes it; the admin adds an alias and sees everyone's keys.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { ensureUser, saveScreenshot, signIn } from './helpers';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;
const USER = { username: 'keyholder', password: 'keyholder-password' };
const ADMIN = { username: 'keyadmin', password: 'key-admin-password' };

test.describe.configure({ mode: 'serial' });

test.beforeAll(() => {
	ensureUser(USER.username, USER.password);
	ensureUser(ADMIN.username, ADMIN.password, true);
});

async function phonePage(browser: Browser) {
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	return { context, page, errors };
}

async function expectNoOverflow(page: Page) {
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	expect(width).toBeLessThanOrEqual(PHONE.viewport.width);
}

test('a user makes a key on a phone, sees it once, uses it on /v1 and revokes it', async ({
	browser
}) => {
	const { context, page, errors } = await phonePage(browser);
	await signIn(page, USER.username, USER.password);
	await page.goto('/settings');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const section = page.locator('section', { has: page.getByRole('heading', { name: 'API keys' }) });
	await expect(section.getByTestId('api-keys')).toBeVisible();
	await section.getByLabel('Name').fill('Phone shortcut');
	await section.getByLabel('Expires').selectOption({ label: 'In 30 days' });
	await section.getByLabel('Requests a minute').fill('30');
	await section.getByLabel('Save these conversations to my history').check();
	await expect(section.getByLabel('Save these conversations to my history')).toBeChecked();
	await section.getByRole('button', { name: 'Create key' }).tap();
	const shown = section.getByTestId('api-key-secret');
	await expect(shown).toBeVisible();
	const secret = (await shown.locator('code').textContent())!.trim();
	expect(secret).toMatch(/^hth_[A-Za-z0-9_-]{43}$/);
	const listed = section.getByTestId('api-keys').getByRole('listitem');
	await expect(listed).toHaveCount(1);
	await expect(listed).toContainText('Phone shortcut');
	await expect(listed).toContainText(`${secret.slice(0, 12)}…`);
	await expect(listed).toContainText('30/min · saved to history');
	await section.scrollIntoViewIfNeeded();
	await expectNoOverflow(page);
	await saveScreenshot(page, 'api-keys-phone');

	const v1 = (key: string) =>
		page.request.get('/v1/models', { headers: { authorization: `Bearer ${key}` } });
	expect((await v1(secret)).status()).toBe(200);

	await section.getByRole('button', { name: 'Done' }).tap();
	await expect(shown).toHaveCount(0);
	await page.reload();
	await expect(page.getByText(secret)).toHaveCount(0);

	page.once('dialog', (dialog) => void dialog.accept());
	await page.getByRole('button', { name: 'Revoke API key Phone shortcut' }).tap();
	await expect(page.getByTestId('api-keys')).toContainText('No keys yet.');
	expect((await v1(secret)).status()).toBe(401);
	expect(errors).toEqual([]);
	await context.close();
});

test("the admin adds a model alias and sees everyone's keys on a phone", async ({ browser }) => {
	const user = await phonePage(browser);
	await signIn(user.page, USER.username, USER.password);
	const made = await user.page.request.post('/api/keys', {
		data: { name: 'Nightly backup script' },
		headers: { origin: new URL(user.page.url()).origin }
	});
	expect(made.status()).toBe(201);
	await user.context.close();

	const { context, page, errors } = await phonePage(browser);
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByLabel('Alias', { exact: true }).fill('gpt-4o-mini');
	await page.getByLabel('Model (provider/model)').fill('llama/hearth-test');
	await page.getByLabel('Max tokens').fill('200');
	await page.getByLabel('System prompt').fill('Answer briefly.');
	await page.getByRole('button', { name: 'Add alias' }).tap();
	const aliases = page.getByTestId('model-aliases');
	await expect(aliases).toContainText('gpt-4o-mini');
	await expect(aliases).toContainText('llama/hearth-test');
	await expect(aliases).toContainText('max 200 tokens · system prompt');
	const keys = page.getByTestId('all-api-keys');
	await expect(keys).toContainText('keyholder');
	await expect(keys).toContainText('Nightly backup script');
	await keys.scrollIntoViewIfNeeded();
	await expectNoOverflow(page);
	await saveScreenshot(page, 'api-admin-phone');

	// The chat's model picker is offered the alias.
	const models = (await (await page.request.get('/api/models')).json()) as {
		providers: { id: string; models: { id: string }[] }[];
	};
	expect(models.providers.find((p) => p.id === 'alias')?.models).toEqual([{ id: 'gpt-4o-mini' }]);

	page.once('dialog', (dialog) => void dialog.accept());
	await page
		.getByRole('button', { name: "Revoke keyholder's API key Nightly backup script" })
		.tap();
	await expect(keys).not.toContainText('Nightly backup script');
	await page.getByRole('button', { name: 'Remove alias gpt-4o-mini' }).tap();
	await expect(aliases).toContainText('No aliases.');
	expect(errors).toEqual([]);
	await context.close();
});
