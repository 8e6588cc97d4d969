// The admin's provider settings in a real browser: keys never reach a page or an API response,
// and a base URL pointing at an internal address is refused unless the admin allowed it.
import { expect, test, type Page } from '@playwright/test';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import { freePort } from '../support/ports';
import {
	addProvider,
	ensureUser,
	expectSignedInAs,
	hearthCli,
	saveScreenshot,
	signIn
} from './helpers';

const ADMIN = { username: 'provadmin', password: 'prov-admin-password' };
const KEY = 'sk-proj-e2eSECRETkeyVALUE9876';
let stub: StubServer;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
	stub = await startOpenAiStub();
	ensureUser(ADMIN.username, ADMIN.password, true);
});
test.afterAll(() => stub.close());

function providerCard(page: Page, name: string) {
	return page.locator('section', { has: page.getByRole('heading', { name, exact: true }) });
}

test('an admin adds a provider; only the last 4 characters of its key ever show', async ({
	page
}) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	await expectSignedInAs(page, ADMIN.username);
	await addProvider(page, KEY, 'Home stub', `${stub.url}/v1`, true);
	const card = providerCard(page, 'Home stub');
	await expect(card).toContainText('key …9876');
	expect(await page.content()).not.toContain(KEY);

	const data = await page.request.get('/admin/providers/__data.json');
	expect(await data.text()).not.toContain(KEY.slice(0, -4));
	const models = await page.request.get('/api/models');
	expect(models.status()).toBe(200);
	const body = await models.text();
	expect(body).not.toContain(KEY.slice(0, -4));
	const parsed = JSON.parse(body) as {
		providers: { name: string; source: string; models: { id: string }[] }[];
	};
	expect(parsed.providers.find((p) => p.name === 'Home stub')).toMatchObject({ source: 'live' });
	expect(parsed.providers.find((p) => p.name === 'llama.cpp')).toMatchObject({
		source: 'live',
		models: [{ id: 'hearth-test' }]
	});

	await card.getByRole('button', { name: 'Test connection' }).click();
	await expect(card.getByRole('status')).toHaveText('Connected: 3 model(s)');
	await expect(card.getByTestId('model-preview')).toContainText('gpt-4o-mini');
	expect(stub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
});

test('an upstream echoing the key: the admin sees its detail with the key redacted', async ({
	page
}) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin/providers');
	const card = providerCard(page, 'Home stub');
	stub.behaviour = 'echoKey';
	try {
		await card.getByRole('button', { name: 'Test connection' }).click();
		const shown = card.getByRole('alert');
		await expect(shown).toContainText('rejected the API key');
		await expect(shown).toContainText('[redacted]');
		expect(stub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
		expect(await page.content()).not.toContain(KEY.slice(3, -4));
	} finally {
		stub.behaviour = 'ok';
	}
});

test('internal addresses are refused at save with the reason unless allowed, whatever their spelling', async ({
	page
}) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	const port = new URL(stub.url).port;
	for (const [name, url, reason] of [
		['Sneaky loopback', `http://127.0.0.1:${port}/v1`, '127.0.0.1 is a loopback address'],
		['Sneaky decimal', `http://2130706433:${port}/v1`, '127.0.0.1 is a loopback address'],
		['Sneaky name', `http://localhost:${port}/v1`, 'localhost resolves to a loopback address'],
		['Sneaky metadata', 'http://169.254.169.254/v1', '169.254.169.254 is a link-local address']
	] as const) {
		const before = stub.requests.length;
		await page.goto('/admin/providers');
		await page.locator('html[data-ready]').waitFor({ state: 'attached' });
		const form = page.locator('section', {
			has: page.getByRole('heading', { name: 'Add a provider' })
		});
		await form.getByLabel('Name').fill(name);
		await form.getByLabel('Base URL').fill(url);
		await form.getByRole('button', { name: 'Add provider' }).click();
		const alert = page.getByRole('alert');
		await expect(alert).toContainText(reason);
		await expect(alert).toContainText(
			'Tick "This server is on my private network" to allow this exact address.'
		);
		await expect(providerCard(page, name)).toHaveCount(0);
		expect(stub.requests.length).toBe(before);
	}
});

test('adding and saving keep the form as the admin set it; names are unique', async ({ page }) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin/providers');
	const addForm = page.locator('section', {
		has: page.getByRole('heading', { name: 'Add a provider' })
	});
	await expect(addForm.getByLabel('Enabled')).toBeChecked();
	await addProvider(page, KEY, 'Trap one', `${stub.url}/v1`, true);
	// After a save the form is ready for the next provider: "Enabled" ticked as before.
	await expect(addForm.getByLabel('Enabled')).toBeChecked();
	await expect(addForm.getByLabel('Name')).toHaveValue('');

	// Unticked, it stays unticked: the provider is saved disabled.
	await addForm.getByLabel('Name').fill('Trap two');
	await addForm.getByLabel('Base URL').fill(`${stub.url}/v1`);
	await addForm.getByLabel(/private network/).check();
	await addForm.getByLabel('Enabled').uncheck();
	await addForm.getByRole('button', { name: 'Add provider' }).click();
	await expect(page.getByRole('status')).toHaveText('Saved.');
	await expect(providerCard(page, 'Trap two')).toContainText('disabled');

	// Saving an edit keeps the fields filled in (a reset used to blank them).
	const card = providerCard(page, 'Trap one');
	await card.getByText('Edit').click();
	await card.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByRole('status').first()).toHaveText('Saved.');
	await expect(card.getByLabel('Name')).toHaveValue('Trap one');
	await expect(card.getByLabel('Base URL')).toHaveValue(`${stub.url}/v1`);
	await expect(card.getByLabel(/private network/)).toBeChecked();
	await expect(card.getByLabel('Enabled')).toBeChecked();

	await addForm.getByLabel('Name').fill('trap ONE');
	await addForm.getByLabel('Base URL').fill(`${stub.url}/v1`);
	await addForm.getByLabel(/private network/).check();
	await addForm.getByRole('button', { name: 'Add provider' }).click();
	await expect(page.getByRole('alert')).toHaveText('A provider named "Trap one" already exists');
	await addForm.getByLabel('Name').fill('llama.cpp');
	await addForm.getByRole('button', { name: 'Add provider' }).click();
	await expect(page.getByRole('alert')).toHaveText('A provider named "llama.cpp" already exists');

	await page.reload();
	for (const name of ['Trap one', 'Trap two']) {
		const trap = providerCard(page, name);
		await trap.getByText('Edit').click();
		await trap.getByRole('button', { name: 'Remove provider' }).click();
		await expect(trap).toHaveCount(0);
	}
});

test('users see a failing provider as unavailable, never its configuration error; admins see why', async ({
	page,
	browser
}) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	const closed = await freePort();
	await addProvider(page, KEY, 'Broken box', `http://127.0.0.1:${closed}/v1`, true);
	type Models = { providers: { name: string; error?: { message: string } }[] };
	const admin = (await (await page.request.get('/api/models')).json()) as Models;
	expect(admin.providers.find((p) => p.name === 'Broken box')?.error?.message).toBe(
		'Cannot reach Broken box — is it running?'
	);

	expect(
		hearthCli(['user', 'add', 'pickeruser', '--password-stdin'], 'picker-user-pass').status
	).toBeLessThan(2);
	const context = await browser.newContext({
		viewport: { width: 390, height: 844 },
		isMobile: true,
		hasTouch: true
	});
	const other = await context.newPage();
	await signIn(other, 'pickeruser', 'picker-user-pass');
	const body = await (await other.request.get('/api/models')).text();
	expect(body).not.toContain('Cannot reach');
	expect(body).not.toContain(String(closed));
	const group = other.locator(`optgroup[label^="Broken box"]`);
	await expect(group.locator('option')).toHaveText('Broken box is unavailable right now');
	await context.close();

	await page.goto('/admin/providers');
	const card = providerCard(page, 'Broken box');
	await card.getByText('Edit').click();
	await card.getByRole('button', { name: 'Remove provider' }).click();
	await expect(card).toHaveCount(0);
});

test('the providers page fits a phone', async ({ browser }) => {
	const context = await browser.newContext({
		viewport: { width: 390, height: 844 },
		isMobile: true,
		hasTouch: true
	});
	const page = await context.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin/providers');
	await expect(page.getByRole('heading', { name: 'Add a provider' })).toBeVisible();
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
	await saveScreenshot(page, 'admin-providers', true);
	await context.close();
});

test('moving a provider to another origin drops its key', async ({ page }) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin/providers');
	const card = providerCard(page, 'Home stub');
	await card.getByText('Edit').click();
	await card.getByLabel('Base URL').fill('https://elsewhere.example/v1');
	await card.getByRole('button', { name: 'Save' }).click();
	await expect(page.getByRole('status').first()).toContainText('stored key was dropped');
	await expect(providerCard(page, 'Home stub')).not.toContainText('key …');
});

test('bad provider input gets a clear message; non-admins get 404', async ({ page, browser }) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin/providers');
	const form = page.locator('section', {
		has: page.getByRole('heading', { name: 'Add a provider' })
	});
	await form.getByLabel('Name').fill('Bad');
	await form.getByLabel('Base URL').fill('gopher://example.com');
	await form.getByRole('button', { name: 'Add provider' }).click();
	await expect(page.getByRole('alert')).toHaveText('Base URL must start with http:// or https://');

	expect(
		hearthCli(['user', 'add', 'plainuser', '--password-stdin'], 'plain-user-pass').status
	).toBeLessThan(2);
	const context = await browser.newContext();
	const other = await context.newPage();
	await signIn(other, 'plainuser', 'plain-user-pass');
	expect((await other.goto('/admin/providers'))?.status()).toBe(404);
	const post = await other.request.post('/admin/providers?/save', {
		form: { kind: 'openai', name: 'x', baseUrl: '', apiKey: '' },
		headers: { origin: new URL(other.url()).origin }
	});
	expect(post.status()).toBe(404);
	await context.close();
});
