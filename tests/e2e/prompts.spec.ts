// Saved prompts and presets on a phone (390×844, touch): "/" lists the commands and the prompts,
// a prompt is picked by touch or keyboard, its variables are filled in a sheet; a preset saved
// from the settings sheet starts a new chat whose model, temperature, reasoning and system prompt
// reach the model server (a scripted OpenAI-compatible stub that records what it was sent); and
// the API refuses bad input with 4xx JSON.
import {
	expect,
	request as playwrightRequest,
	test,
	type Browser,
	type Page
} from '@playwright/test';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import { addProvider, ensureUser, saveScreenshot, signIn } from './helpers';

const ADMIN = { username: 'promptadmin', password: 'prompt-admin-password' };
const OTHER = { username: 'promptother', password: 'prompt-other-password' };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;
let stub: StubServer;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
	stub = await startOpenAiStub();
	stub.script = { text: 'Brief.', chunkChars: 8, intervalMs: 10 };
	ensureUser(ADMIN.username, ADMIN.password, true);
	ensureUser(OTHER.username, OTHER.password);
	const page = await browser.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	await addProvider(page, 'sk-prompt-0000', 'Prompt stub', `${stub.url}/v1`, true);
	await page.close();
});

test.afterAll(async ({ browser }) => {
	const page = await browser.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin/providers');
	const card = page.locator('section', {
		has: page.getByRole('heading', { name: 'Prompt stub', exact: true })
	});
	await card.getByText('Edit').click();
	await card.getByRole('button', { name: 'Remove provider' }).click();
	await expect(card).toHaveCount(0);
	await page.close();
	await stub.close();
});

async function phonePage(browser: Browser, user = ADMIN) {
	const context = await browser.newContext(PHONE);
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await signIn(page, user.username, user.password);
	await expect(page.getByLabel('Model')).not.toHaveValue('');
	return { context, page, errors };
}

const composer = (page: Page) => page.getByRole('textbox', { name: 'Message' });
const options = (page: Page) => page.getByRole('listbox', { name: 'Commands' }).getByRole('option');

async function expectNoSideScroll(page: Page) {
	expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(
		true
	);
}

test('/ lists commands and prompts; a prompt is taken by touch or keyboard and its variables filled', async ({
	browser
}) => {
	const { context, page, errors } = await phonePage(browser);
	// A prompt made in Settings…
	await page.goto('/settings');
	const library = page.getByTestId('prompt-library');
	await library.getByLabel('Command').fill('haiku');
	await library.getByLabel('Title').fill('Haiku about something');
	await library.getByLabel('Text').fill('Write a haiku about {{topic}} in {{language|English}}.');
	await library.getByRole('button', { name: 'Add prompt' }).tap();
	await expect(library.getByTestId('prompt-list')).toContainText('/haiku');
	await expectNoSideScroll(page);
	await library.scrollIntoViewIfNeeded();
	await saveScreenshot(page, 'prompt-library');

	// …and one saved from the composer.
	await page.goto('/');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await composer(page).fill("Explain it like I'm five.");
	await page.getByRole('button', { name: 'Save as prompt' }).tap();
	const saveSheet = page.getByRole('dialog', { name: 'Save as prompt' });
	await saveSheet.getByLabel(/Command/).fill('model');
	await saveSheet.getByLabel('Title').fill('Explain simply');
	await saveSheet.getByRole('button', { name: 'Save prompt' }).tap();
	await expect(saveSheet.getByRole('alert')).toContainText('built-in');
	await saveSheet.getByLabel(/Command/).fill('eli5');
	await saveSheet.getByRole('button', { name: 'Save prompt' }).tap();
	await expect(saveSheet).toBeHidden();
	await expect(page.getByText('Saved as /eli5')).toBeVisible();

	// "/" lists the built-in commands and then the prompts.
	await composer(page).fill('/');
	await expect(options(page).first()).toContainText('/model');
	await expect(options(page).filter({ hasText: '/haiku' })).toContainText('Haiku about something');
	await expect(options(page).filter({ hasText: '/eli5' })).toHaveCount(1);
	await expectNoSideScroll(page);
	await saveScreenshot(page, 'prompt-autocomplete');

	// Touch: the prompt with variables opens its form.
	await composer(page).fill('/ha');
	await options(page).filter({ hasText: '/haiku' }).tap();
	const form = page.getByRole('dialog', { name: 'Haiku about something' });
	await expect(form.getByLabel('topic')).toBeVisible();
	await expect(form.getByLabel('language')).toHaveAttribute('placeholder', 'English');
	await form.getByRole('button', { name: 'Use prompt' }).tap();
	await expect(form.getByRole('alert')).toHaveText('Fill in topic');
	await form.getByLabel('topic').fill('the sea');
	await expectNoSideScroll(page);
	await saveScreenshot(page, 'prompt-variables');
	await form.getByRole('button', { name: 'Use prompt' }).tap();
	await expect(form).toBeHidden();
	await expect(composer(page)).toHaveValue('Write a haiku about the sea in English.');

	// Keyboard: arrows and Tab take a prompt without variables straight into the composer.
	await composer(page).fill('/el');
	await expect(options(page)).toHaveCount(1);
	await composer(page).press('Tab');
	await expect(composer(page)).toHaveValue("Explain it like I'm five.");
	// Typed out in full and sent, a prompt opens its form too.
	await composer(page).fill('/haiku');
	await page.keyboard.press('Escape');
	await page.getByRole('button', { name: 'Send' }).tap();
	await expect(form).toBeVisible();
	await form.getByRole('button', { name: 'Cancel' }).tap();
	expect(errors).toEqual([]);
	await context.close();
});

test('a chat started from a preset sends its model, temperature, reasoning and system prompt', async ({
	browser
}) => {
	const { context, page, errors } = await phonePage(browser);
	await page.getByRole('button', { name: 'Settings', exact: true }).tap();
	const sheet = page.getByRole('dialog', { name: 'Conversation settings' });
	await sheet.getByLabel('Model').selectOption({ label: 'o4-mini' });
	await sheet.getByLabel(/Temperature/).fill('0.3');
	await sheet.getByLabel('Reasoning').selectOption('high');
	await sheet.getByLabel('System prompt').fill('You are terse.');
	await sheet.getByLabel('Save these settings as a preset').fill('Terse');
	await sheet.getByRole('button', { name: 'Add preset' }).tap();
	await expect(sheet.getByText('Saved preset Terse')).toBeVisible();
	for (const control of await sheet.locator('select, input, textarea, button').all()) {
		const box = (await control.boundingBox())!;
		expect(box.height).toBeGreaterThanOrEqual(44);
		expect(box.x + box.width).toBeLessThanOrEqual(390);
	}
	await saveScreenshot(page, 'preset-save');
	await sheet.getByRole('button', { name: 'Cancel' }).tap();

	// A new chat: the picker offers the preset; nothing of it is set before it is picked.
	await page.reload();
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const picker = page.getByTestId('preset-picker');
	await expect(picker).toBeVisible();
	await expect(page.getByTestId('conversation-settings')).not.toContainText('Terse');
	await picker.selectOption({ label: 'Terse' });
	await expect(page.getByTestId('conversation-settings')).toContainText('Terse');
	await expectNoSideScroll(page);
	await saveScreenshot(page, 'preset-picker');
	await composer(page).fill('Say hi');
	await page.getByRole('button', { name: 'Send' }).tap();
	await expect(page).toHaveURL(/\/c\/\d+$/);
	await expect(page.locator('article.message.assistant').last()).toHaveAttribute(
		'data-status',
		'done'
	);
	const sent = stub.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!
		.body as Record<string, unknown>;
	expect(sent).toMatchObject({
		model: 'o4-mini',
		temperature: 0.3,
		messages: [
			{ role: 'system', content: 'You are terse.' },
			{ role: 'user', content: 'Say hi' }
		]
	});
	// An OpenAI-compatible server is sent no reasoning effort (only OpenAI's own adapter sends
	// it): the level is checked where the reply's parameters are read, the conversation.
	const id = /\/c\/(\d+)$/.exec(page.url())![1];
	const conversation = (await (await page.request.get(`/api/conversations/${id}`)).json()) as {
		settings: Record<string, unknown>;
	};
	expect(conversation.settings).toEqual({ temperature: 0.3, reasoning: 'high', preset: 'Terse' });
	await page.getByRole('button', { name: 'Settings', exact: true }).tap();
	await expect(sheet.getByTestId('sheet-preset')).toHaveText('Preset: Terse');
	await page.keyboard.press('Escape');

	// /preset applies it to a conversation under way, too.
	await composer(page).fill('/temp 1.5');
	await page.getByRole('button', { name: 'Send' }).tap();
	await composer(page).fill('/preset ters');
	await page.getByRole('button', { name: 'Send' }).tap();
	await expect(page.getByTestId('command-notice')).toHaveText('Preset: Terse');
	await expect(page.getByTestId('conversation-settings')).toContainText('temp 0.3');

	// Made the default in Settings, the preset is what a new chat starts from.
	await page.goto('/settings');
	await page.getByRole('button', { name: 'Make Terse the default' }).tap();
	await expect(page.getByTestId('preset-list')).toContainText('default');
	await page.goto('/');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await expect(page.getByTestId('conversation-settings')).toContainText('Terse');
	await expect(page.getByLabel('Model')).toHaveValue(/\/o4-mini$/);
	await expect(page.getByTestId('preset-picker').locator('option:checked')).toHaveText(
		'Terse (default)'
	);
	expect(errors).toEqual([]);
	await context.close();
});

test('the prompt and preset API refuses bad input and hides other users’ rows', async ({
	baseURL
}) => {
	const login = async (user: typeof ADMIN) => {
		const api = await playwrightRequest.newContext({
			baseURL,
			extraHTTPHeaders: { origin: baseURL! }
		});
		expect((await api.post('/api/auth/login', { data: user })).status()).toBe(200);
		return api;
	};
	const admin = await login(ADMIN);
	const other = await login(OTHER);
	const expectError = async (
		response: Awaited<ReturnType<typeof admin.post>>,
		status: number,
		code: string
	) => {
		expect(response.status()).toBe(status);
		expect(await response.json()).toEqual({ error: { code, message: expect.any(String) } });
	};
	const mine = (await (await admin.get('/api/prompts')).json()) as {
		prompts: { id: number; command: string }[];
	};
	const haiku = mine.prompts.find((p) => p.command === 'haiku')!;
	await expectError(
		await admin.post('/api/prompts', { data: { command: 'haiku', title: 'x', text: 'x' } }),
		409,
		'conflict'
	);
	await expectError(
		await admin.post('/api/prompts', { data: { command: 'help', title: 'x', text: 'x' } }),
		400,
		'invalid_request'
	);
	await expectError(
		await admin.post('/api/prompts', {
			data: { command: 'big', title: 'x', text: 'x'.repeat(20_001) }
		}),
		400,
		'invalid_request'
	);
	await expectError(
		await admin.post('/api/prompts', { data: { command: 'x', title: 'x' } }),
		400,
		'invalid_request'
	);
	// Another user's ids are not found, and do not show in their lists.
	await expectError(
		await other.patch(`/api/prompts/${haiku.id}`, { data: { title: 'mine now' } }),
		404,
		'not_found'
	);
	await expectError(await other.delete(`/api/prompts/${haiku.id}`), 404, 'not_found');
	const othersList = (await (await other.get('/api/prompts')).json()) as { prompts: unknown[] };
	expect(othersList.prompts).toEqual([]);
	const presets = (await (await admin.get('/api/presets')).json()) as {
		presets: { id: number; name: string }[];
	};
	const terse = presets.presets.find((p) => p.name === 'Terse')!;
	await expectError(await other.delete(`/api/presets/${terse.id}`), 404, 'not_found');
	await expectError(
		await other.post('/api/presets', { data: { name: 'Shared', shared: true } }),
		403,
		'forbidden'
	);
	await expectError(await admin.post('/api/presets', { data: { name: 'Terse' } }), 409, 'conflict');
	await expectError(
		await admin.post('/api/presets', { data: { name: 'Hot', temperature: 3 } }),
		400,
		'invalid_request'
	);
	// A shared prompt: everyone sees it, only the admin changes it.
	const shared = await admin.post('/api/prompts', {
		data: { command: 'standup', title: 'Stand-up notes', text: 'Notes for {{team}}', shared: true }
	});
	expect(shared.status()).toBe(201);
	const { prompt } = (await shared.json()) as { prompt: { id: number } };
	const seen = (await (await other.get('/api/prompts')).json()) as {
		prompts: { command: string; shared: boolean; editable: boolean }[];
	};
	expect(seen.prompts).toEqual([
		expect.objectContaining({ command: 'standup', shared: true, editable: false })
	]);
	await expectError(
		await other.patch(`/api/prompts/${prompt.id}`, { data: { text: 'x' } }),
		403,
		'forbidden'
	);
	expect((await admin.delete(`/api/prompts/${prompt.id}`)).status()).toBe(204);
	await admin.dispose();
	await other.dispose();
});
