// The installable app with its real service worker in Chromium: installability, offline reading
// from the device cache, the outbox, reopening after a reply finished, a shared browser, updates.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { ensureUser, expectSignedInAs, hearthCli, openMenu, renderedText, signIn } from './helpers';
import { freePort } from '../support/ports';
import type { ConversationDto } from '$lib/shared/dto';

const A = { username: 'wanderer', password: 'wanderer-password' };
const B = { username: 'houseguest', password: 'houseguest-password' };

test.describe.configure({ mode: 'serial' });
test.beforeAll(() => {
	ensureUser(A.username, A.password);
	ensureUser(B.username, B.password);
});

const reply = (page: Page) => page.locator('article.message.assistant').last();

/** Waits until the service worker is active and controls this page (a first visit needs a reload). */
async function controlled(page: Page) {
	await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
	if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null)))
		await page.reload();
	await expect
		.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
		.toBe(true);
}

/** Every URL in Cache Storage: only the app shell may be there, never an API answer or a page. */
async function cachedUrls(page: Page): Promise<string[]> {
	return page.evaluate(async () => {
		const urls: string[] = [];
		for (const name of await caches.keys())
			for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
		return urls;
	});
}

function expectOnlyShell(urls: string[]) {
	for (const url of urls) {
		const { pathname } = new URL(url);
		expect(pathname, url).not.toMatch(/^\/api\/|__data\.json|^\/c\/|^\/login|^\/settings|^\/admin/);
	}
}

async function databases(page: Page): Promise<string[]> {
	return page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name ?? ''));
}

async function cachedConversationCount(page: Page, userId: number): Promise<number> {
	return page.evaluate(
		(name) =>
			new Promise<number>((resolve) => {
				const open = indexedDB.open(name);
				open.onsuccess = () => {
					const db = open.result;
					if (!db.objectStoreNames.contains('conversations')) return resolve(0);
					const count = db.transaction('conversations').objectStore('conversations').count();
					count.onsuccess = () => {
						db.close();
						resolve(count.result);
					};
				};
				open.onerror = () => resolve(0);
			}),
		`hearth-u${userId}`
	);
}

/** The newest message of a conversation in the device copy, as IndexedDB holds it. */
async function cachedLastMessage(page: Page, userId: number, conversationId: number) {
	return page.evaluate(
		([name, id]) =>
			new Promise<{ status: string; content: string } | null>((resolve) => {
				const open = indexedDB.open(name as string);
				open.onsuccess = () => {
					const db = open.result;
					if (!db.objectStoreNames.contains('conversations')) return resolve(null);
					const get = db.transaction('conversations').objectStore('conversations').get(id!);
					get.onsuccess = () => {
						db.close();
						const conversation = get.result as ConversationDto | undefined;
						resolve(conversation?.messages.at(-1) ?? null);
					};
				};
				open.onerror = () => resolve(null);
			}),
		[`hearth-u${userId}`, conversationId] as const
	);
}

async function me(page: Page): Promise<{ id: number }> {
	return ((await (await page.request.get('/api/me')).json()) as { user: { id: number } }).user;
}

async function ask(page: Page, text: string) {
	await page.getByLabel('Message').fill(text);
	await page.getByLabel('Message').press('Enter');
}

async function conversation(page: Page, id: string): Promise<ConversationDto> {
	return (await (await page.request.get(`/api/conversations/${id}`)).json()) as ConversationDto;
}

test('the manifest and icons are valid and Chromium considers Hearth installable', async ({
	page
}) => {
	await page.goto('/login');
	const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
	const manifest = (await (await page.request.get(manifestHref!)).json()) as {
		name: string;
		short_name: string;
		display: string;
		start_url: string;
		scope: string;
		theme_color: string;
		background_color: string;
		icons: { src: string; sizes: string; type: string; purpose?: string }[];
	};
	expect(manifest).toMatchObject({
		name: 'Hearth',
		short_name: 'Hearth',
		display: 'standalone',
		start_url: '/',
		scope: '/',
		theme_color: '#1a1b26',
		background_color: '#1a1b26'
	});
	const apple = await page.locator('link[rel="apple-touch-icon"]').getAttribute('href');
	const icons = [...manifest.icons, { src: apple!, sizes: '180x180', type: 'image/png' }];
	expect(icons.map((i) => i.sizes)).toEqual(
		expect.arrayContaining(['192x192', '512x512', '180x180'])
	);
	expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);
	for (const icon of icons) {
		const res = await page.request.get(icon.src);
		expect(res.status(), icon.src).toBe(200);
		const png = await res.body();
		expect(png.subarray(1, 4).toString()).toBe('PNG');
		const [w, h] = icon.sizes.split('x').map(Number);
		expect([png.readUInt32BE(16), png.readUInt32BE(20)], icon.src).toEqual([w, h]);
	}
	for (const name of ['apple-mobile-web-app-capable', 'apple-mobile-web-app-title'])
		await expect(page.locator(`meta[name="${name}"]`)).toHaveCount(1);

	// Installability is judged in a real profile (an incognito-like context never qualifies).
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-profile-'));
	const launch = test.info().project.use.launchOptions ?? {};
	const persistent = await chromium.launchPersistentContext(profile, {
		...launch,
		baseURL: test.info().project.use.baseURL
	});
	try {
		const installed = persistent.pages()[0] ?? (await persistent.newPage());
		await installed.goto('/login');
		await controlled(installed);
		const cdp = await persistent.newCDPSession(installed);
		const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
			installabilityErrors: { errorId: string }[];
		};
		expect(installabilityErrors).toEqual([]);
		const { url, errors } = (await cdp.send('Page.getAppManifest')) as {
			url: string;
			errors: { message: string }[];
		};
		expect(url).toMatch(/\/manifest\.webmanifest$/);
		expect(errors).toEqual([]);
	} finally {
		await persistent.close();
		fs.rmSync(profile, { recursive: true, force: true });
	}
});

test.describe('offline', () => {
	let context: BrowserContext;
	let page: Page;
	let conversationId = '';

	test.beforeAll(async ({ browser }) => {
		context = await browser.newContext();
		page = await context.newPage();
	});
	test.afterAll(() => context.close());

	test('read offline: the shell, the list and a saved conversation open, with an offline badge', async () => {
		await signIn(page, A.username, A.password);
		await expectSignedInAs(page, A.username);
		await ask(page, 'Hello from the mountains');
		await expect(page).toHaveURL(/\/c\/\d+$/);
		conversationId = new URL(page.url()).pathname.split('/').pop()!;
		// Stopped early, so the test model's small context has room for the next exchange.
		await expect(reply(page)).toHaveAttribute('data-status', 'streaming', { timeout: 15_000 });
		await page.getByRole('button', { name: 'Stop' }).click();
		await expect(reply(page)).toHaveAttribute('data-status', 'cancelled');
		await controlled(page);
		const { id } = await me(page);
		await expect.poll(() => cachedConversationCount(page, id), { timeout: 10_000 }).toBe(1);
		expectOnlyShell(await cachedUrls(page));

		await context.setOffline(true);
		await page.reload();
		await expect(page.getByTestId('offline')).toBeVisible();
		await expect(page.getByRole('link', { name: 'Hello from the mountains' })).toBeVisible();
		await expect(page.locator('article.message.user')).toContainText('Hello from the mountains');
		const saved = await page.evaluate(
			() => document.querySelector('article.message.assistant')?.textContent
		);
		expect(saved?.length).toBeGreaterThan(0);
		// Search works on what the device holds.
		await page.getByLabel('Search conversations').fill('mountains');
		await expect(page.getByRole('link', { name: 'Hello from the mountains' })).toBeVisible();
		await page.getByLabel('Search conversations').fill('no such words anywhere');
		await expect(page.getByRole('link', { name: 'Hello from the mountains' })).toHaveCount(0);
		await page.getByLabel('Search conversations').fill('');
		// A fresh navigation offline also gets the shell.
		await page.goto(`/c/${conversationId}`);
		await expect(page.locator('article.message.user')).toContainText('Hello from the mountains');
		expectOnlyShell(await cachedUrls(page));
	});

	test('write offline: the message waits in the outbox and is sent exactly once when back online', async () => {
		await ask(page, 'Sent from the tunnel');
		await expect(page.getByTestId('outbox-message')).toContainText('Sent from the tunnel');
		await expect(page.getByTestId('outbox-message')).toContainText('waiting to send');
		await context.setOffline(false);
		await expect(page.getByTestId('outbox-message')).toHaveCount(0, { timeout: 15_000 });
		await expect(page.locator('article.message.user').last()).toContainText('Sent from the tunnel');
		await expect(reply(page)).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
		// Reload, let any background sync run too: still stored once.
		await page.reload();
		await expect(page.locator('article.message.user').last()).toContainText('Sent from the tunnel');
		const stored = await conversation(page, conversationId);
		expect(stored.messages.filter((m) => m.content === 'Sent from the tunnel')).toHaveLength(1);
		expectOnlyShell(await cachedUrls(page));
	});

	test('close the app while a reply runs, reopen after it finished: it is there', async () => {
		await page.goto('/');
		await ask(page, 'Finish this while I am away');
		await expect(page).toHaveURL(/\/c\/\d+$/);
		conversationId = new URL(page.url()).pathname.split('/').pop()!;
		await expect(reply(page)).toHaveAttribute('data-status', /queued|streaming/);
		await page.close();
		await expect
			.poll(
				async () => {
					const last = (await conversation(await context.newPage(), conversationId)).messages.at(
						-1
					);
					return last?.status;
				},
				{ timeout: 30_000 }
			)
			.toBe('done');
		page = await context.newPage();
		await page.goto(`/c/${conversationId}`);
		const stored = (await conversation(page, conversationId)).messages.at(-1)!;
		await expect(reply(page)).toHaveAttribute('data-status', 'done');
		await expect(reply(page).getByTestId('message-content')).toHaveText(
			renderedText(stored.content)
		);
	});

	test('reopened offline mid-reply: the partial text the device had, no Stop button, the last known models', async () => {
		await page.goto('/');
		await ask(page, 'Keep writing while I lose the signal');
		await expect(page).toHaveURL(/\/c\/\d+$/);
		conversationId = new URL(page.url()).pathname.split('/').pop()!;
		const { id: userId } = await me(page);
		// The device keeps the text so far while the reply streams (its first words at once).
		await expect
			.poll(() => cachedLastMessage(page, userId, Number(conversationId)), {
				timeout: 15_000,
				intervals: [50]
			})
			.toMatchObject({ status: 'streaming', content: expect.stringMatching(/.+/) });
		// Closed at once, so the reply (a few seconds long) cannot end on this device first.
		await page.close();
		await context.setOffline(true);
		page = await context.newPage();
		await page.goto(`/c/${conversationId}`);
		await expect(page.getByTestId('offline')).toBeVisible();
		const cached = (await cachedLastMessage(page, userId, Number(conversationId)))!;
		expect(cached.status).toBe('streaming');
		await expect(reply(page).getByTestId('offline-partial')).toBeVisible();
		// Rendered as a reply still streaming (an open code span stays literal), so compare words.
		const letters = (text: string) => text.replace(/[^\p{L}\p{N}]/gu, '');
		expect(cached.content.length).toBeGreaterThan(0);
		await expect
			.poll(async () =>
				letters((await reply(page).getByTestId('message-content').textContent()) ?? '')
			)
			.toContain(letters(renderedText(cached.content)).slice(0, 24));
		await expect(page.getByRole('button', { name: 'Stop' })).toHaveCount(0);
		// The model picker offers the models last seen online, marked as such.
		await expect(
			page.getByLabel('Model').locator('optgroup[label="llama.cpp (offline — last known models)"]')
		).toContainText('hearth-test');
		await expect(page.getByLabel('Model')).toHaveValue(/\/hearth-test$/);
		// Back online, the whole reply comes in.
		await context.setOffline(false);
		await expect(reply(page)).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
		await expect(reply(page).getByTestId('offline-partial')).toHaveCount(0);
	});

	test('sign out, then another user on the same browser finds nothing of the first', async () => {
		const { id } = await me(page);
		expect(await databases(page)).toContain(`hearth-u${id}`);
		await openMenu(page);
		await page.getByRole('button', { name: 'Sign out' }).click();
		await expect(page).toHaveURL(/\/login$/);
		expect(await databases(page)).not.toContain(`hearth-u${id}`);
		expectOnlyShell(await cachedUrls(page));
		await signIn(page, B.username, B.password);
		await expectSignedInAs(page, B.username);
		await expect(page.getByText('No conversations yet')).toBeVisible();
		await expect(page.getByText('Hello from the mountains')).toHaveCount(0);
		expect((await databases(page)).filter((n) => n === `hearth-u${id}`)).toEqual([]);
		// Offline, B's shell shows B's (empty) device copy, not A's. (Sign-out's Clear-Site-Data
		// removed the service worker too; B's visit installed it again.)
		await controlled(page);
		await context.setOffline(true);
		await page.reload();
		await expect(page.getByTestId('signed-in-as')).toHaveText(B.username);
		await expect(page.getByText('Hello from the mountains')).toHaveCount(0);
		await context.setOffline(false);
	});
});

test('a session ended elsewhere (401) removes the offline copy from this device', async ({
	page
}) => {
	await signIn(page, B.username, B.password);
	await expectSignedInAs(page, B.username);
	const { id } = await me(page);
	await page.getByLabel('Message').fill('Something to keep offline');
	await page.getByLabel('Message').press('Enter');
	await expect(page).toHaveURL(/\/c\/\d+$/);
	await expect.poll(() => cachedConversationCount(page, id), { timeout: 10_000 }).toBe(1);
	// A password change from the CLI ends every session of the user.
	expect(hearthCli(['user', 'passwd', B.username, '--password-stdin'], B.password).status).toBe(0);
	await page.reload();
	await expect(page).toHaveURL(/\/login/);
	await expect.poll(() => databases(page)).not.toContain(`hearth-u${id}`);
	expect(await page.evaluate(() => localStorage.getItem('hearth:user'))).toBeNull();
});

test('a new build is detected and offered as an update', async ({ browser }) => {
	// A second server from a copy of the build, so this test can change its service worker.
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-update-'));
	const data = path.join(root, 'data');
	for (const dir of ['build', 'bin']) fs.cpSync(dir, path.join(root, dir), { recursive: true });
	fs.copyFileSync('package.json', path.join(root, 'package.json'));
	fs.symlinkSync(path.resolve('node_modules'), path.join(root, 'node_modules'));
	const port = await freePort();
	const env = {
		...process.env,
		DATA_DIR: data,
		DATABASE_URL: '',
		PORT: String(port),
		HOST: '127.0.0.1',
		ORIGIN: '',
		LOG_LEVEL: 'warn',
		LLAMA_URL: 'http://127.0.0.1:9'
	};
	const add = spawnSync(
		process.execPath,
		[path.join(root, 'bin/hearth.js'), 'user', 'add', 'updater', '--password-stdin'],
		{ input: 'updater-password', env, encoding: 'utf8' }
	);
	expect(add.status, add.stderr).toBe(0);
	const url = `http://127.0.0.1:${port}`;
	const start = async (): Promise<ChildProcess> => {
		const child = spawn(process.execPath, [path.join(root, 'bin/hearth.js'), 'serve'], {
			env,
			stdio: 'ignore'
		});
		await expect
			.poll(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok ?? false, {
				timeout: 20_000
			})
			.toBe(true);
		return child;
	};
	const stop = (child: ChildProcess) =>
		new Promise((r) => {
			child.once('exit', r);
			child.kill('SIGTERM');
		});
	let server = await start();
	const context = await browser.newContext({ baseURL: url });
	try {
		const page = await context.newPage();
		await signIn(page, 'updater', 'updater-password');
		await controlled(page);
		await expect(page.getByText('Update available')).toHaveCount(0);

		// "Deploy" a new build: its service worker differs (as every build's does: the version).
		await stop(server);
		const sw = path.join(root, 'build/client/service-worker.js');
		fs.writeFileSync(sw, `${fs.readFileSync(sw, 'utf8')}\n// next build ${Date.now()}\n`);
		for (const suffix of ['.br', '.gz']) fs.rmSync(sw + suffix, { force: true });
		server = await start();

		await page.reload();
		await expect(page.getByText('Update available')).toBeVisible({ timeout: 15_000 });
		const before = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
		await page.getByRole('button', { name: 'reload' }).click();
		await expect(page.getByText('Update available')).toHaveCount(0, { timeout: 15_000 });
		await expect
			.poll(() =>
				page.evaluate(
					async () => (await navigator.serviceWorker.getRegistration())?.waiting === null
				)
			)
			.toBe(true);
		expect(before).toBeTruthy();
	} finally {
		await context.close();
		await stop(server);
		fs.rmSync(root, { recursive: true, force: true });
	}
});
