// The admin's provider settings in a real browser: keys never reach a page or an API response,
// and a base URL pointing at an internal address is refused unless the admin allowed it.
import { expect, test, type Page } from '@playwright/test';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import { addProvider, ensureUser, expectSignedInAs, hearthCli, signIn } from './helpers';

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

test('internal addresses are refused unless allowed, whatever their spelling', async ({ page }) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	const port = new URL(stub.url).port;
	for (const [name, url] of [
		['Sneaky loopback', `http://127.0.0.1:${port}/v1`],
		['Sneaky decimal', `http://2130706433:${port}/v1`],
		['Sneaky metadata', 'http://169.254.169.254/v1']
	] as const) {
		const before = stub.requests.length;
		await addProvider(page, KEY, name, url, false);
		const card = providerCard(page, name);
		await card.getByRole('button', { name: 'Test connection' }).click();
		await expect(card.getByRole('alert')).toContainText(/address/);
		expect(stub.requests.length).toBe(before);
	}
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
