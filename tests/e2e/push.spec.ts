// Web Push in Chromium at phone size. Headless Chromium cannot reach a real push service, so the
// browser's PushManager.subscribe is replaced (init script) by one that returns a subscription at
// the test's stand-in push service, with keys the test holds. Everything else is real: the
// Settings switch, the permission asked on the tap, Hearth's API, the reply from llama-server,
// web-push's VAPID JWT and aes128gcm encryption (checked and decrypted by the stand-in), and the
// service worker's push and notificationclick handlers (the decrypted payload is delivered with
// CDP ServiceWorker.deliverPushMessage; the click is a NotificationEvent dispatched in the worker).
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { ensureUser, renderedText, saveScreenshot, signIn } from './helpers';
import { StandInPushService, type BrowserSubscription } from '../support/push-service';
import type { ConversationDto, PushNotificationDto, SendResultDto } from '$lib/shared/dto';

const USER = { username: 'notified', password: 'notified-password' };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

test.describe.configure({ mode: 'serial' });

let pushService: StandInPushService;
test.beforeAll(async () => {
	ensureUser(USER.username, USER.password);
	pushService = await new StandInPushService().start();
});
test.afterAll(async () => {
	await pushService?.stop();
});

/** Same-origin JSON call from the page (the session cookie and the Origin header are the page's). */
async function api<T>(page: Page, method: string, path: string, body?: unknown) {
	return page.evaluate(
		async ([method, path, body]) => {
			const res = await fetch(path as string, {
				method: method as string,
				headers: body === undefined ? {} : { 'content-type': 'application/json' },
				body: body === undefined ? undefined : JSON.stringify(body)
			});
			return { status: res.status, body: (await res.json().catch(() => null)) as unknown };
		},
		[method, path, body] as const
	) as Promise<{ status: number; body: T }>;
}

/** The browser side of push, replaced: subscribe() returns `sub`; permission requests counted. */
async function fakePushManager(context: BrowserContext, sub: BrowserSubscription) {
	await context.addInitScript(
		({ endpoint, keys }) => {
			const w = window as unknown as { __permissionAsks: number };
			w.__permissionAsks = 0;
			const ask = Notification.requestPermission.bind(Notification);
			Notification.requestPermission = () => {
				w.__permissionAsks++;
				return ask();
			};
			let current: PushSubscription | null = null;
			const make = (applicationServerKey: ArrayBuffer) =>
				({
					endpoint,
					options: { applicationServerKey, userVisibleOnly: true },
					toJSON: () => ({ endpoint, keys }),
					unsubscribe: async () => ((current = null), true)
				}) as unknown as PushSubscription;
			PushManager.prototype.getSubscription = async () => current;
			PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
				const key = options?.applicationServerKey as Uint8Array;
				current = make(new Uint8Array(key).buffer);
				return current;
			};
		},
		{ endpoint: sub.endpoint, keys: sub.keys }
	);
}

/** Waits until the service worker controls the page (a first visit needs a reload). */
async function controlled(page: Page) {
	await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
	if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null)))
		await page.reload();
	await expect
		.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null))
		.toBe(true);
}

test('the switch subscribes on a tap; an unwatched reply is pushed, shown by the service worker, and its click opens the conversation', async ({
	browser,
	baseURL
}) => {
	test.setTimeout(90_000);
	const sub = pushService.subscribe();
	const context = await browser.newContext({ ...PHONE, baseURL });
	await context.grantPermissions(['notifications'], { origin: baseURL });
	await fakePushManager(context, sub);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	await page.goto('/settings');
	await controlled(page);

	const toggle = page.getByRole('switch', { name: /Tell me when a reply is ready/ });
	await expect(toggle).toBeVisible();
	await expect(toggle).not.toBeChecked();
	// Loading Settings asked nothing.
	expect(
		await page.evaluate(() => (window as unknown as { __permissionAsks: number }).__permissionAsks)
	).toBe(0);
	await toggle.scrollIntoViewIfNeeded();
	expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(
		true
	);
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

	await toggle.tap();
	await expect(page.getByText('This device will be told when a reply is ready.')).toBeVisible();
	await expect(toggle).toBeChecked();
	expect(
		await page.evaluate(() => (window as unknown as { __permissionAsks: number }).__permissionAsks)
	).toBe(1);
	const status = await api<{ subscribed: boolean; endpoint: string }>(
		page,
		'GET',
		'/api/push/subscriptions'
	);
	expect(status.body).toEqual({ subscribed: true, endpoint: sub.endpoint });
	await page.getByRole('checkbox', { name: /Include the reply’s first words/ }).tap();
	await expect(page.getByText('Saved.')).toBeVisible();
	await saveScreenshot(page, 'push-settings-phone');

	// A reply sent through the API: no page streams it, so it is pushed when it ends.
	const created = await api<ConversationDto>(page, 'POST', '/api/conversations', {
		title: 'Kindling questions'
	});
	expect(created.status).toBe(201);
	const id = created.body.id;
	const sent = await api<SendResultDto>(page, 'POST', `/api/conversations/${id}/messages`, {
		content: 'How do I start a fire?',
		maxTokens: 8
	});
	expect(sent.status, JSON.stringify(sent.body)).toBe(202);
	const [push] = await pushService.waitForEndpoint(sub.endpoint);
	expect(push!.problem).toBeNull();
	expect(push!.endpoint).toBe(sub.endpoint);
	const payload = JSON.parse(push!.payload!) as PushNotificationDto;
	expect(payload).toMatchObject({ title: 'Kindling questions', url: `/c/${id}` });
	const reply = await api<ConversationDto>(page, 'GET', `/api/conversations/${id}`);
	const text = reply.body.messages.find((m) => m.id === sent.body.reply.id)!.content;
	expect(['done', 'failed']).toContain(
		reply.body.messages.find((m) => m.id === sent.body.reply.id)!.status
	);
	if (text.trim()) expect(payload.body).not.toBe('Your reply is ready');

	// The service worker receives that payload and shows it.
	const cdp = await context.newCDPSession(page);
	const registrationId = new Promise<string>((resolve) =>
		cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
			const ours = registrations.find((r) => r.scopeURL === `${baseURL}/` && !r.isDeleted);
			if (ours) resolve(ours.registrationId);
		})
	);
	await cdp.send('ServiceWorker.enable');
	await cdp.send('ServiceWorker.deliverPushMessage', {
		origin: baseURL!,
		registrationId: await registrationId,
		data: push!.payload!
	});
	const shown = () =>
		page.evaluate(async () =>
			(await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
				title: n.title,
				body: n.body,
				data: n.data as unknown
			}))
		);
	await expect
		.poll(shown)
		.toEqual([{ title: 'Kindling questions', body: payload.body, data: { url: `/c/${id}` } }]);

	// A tap on the notification: the worker's notificationclick brings this window to the conversation.
	const worker = context.serviceWorkers().find((w) => w.url().endsWith('/service-worker.js'))!;
	await worker.evaluate(async () => {
		// The worker's global scope (this file is typed for the DOM, not for workers).
		const scope = self as unknown as {
			registration: ServiceWorkerRegistration;
			dispatchEvent(event: Event): boolean;
			NotificationEvent: new (type: string, init: { notification: Notification }) => Event;
		};
		const [notification] = await scope.registration.getNotifications();
		scope.dispatchEvent(
			new scope.NotificationEvent('notificationclick', { notification: notification! })
		);
	});
	await expect(page).toHaveURL(new RegExp(`/c/${id}$`));
	await expect.poll(shown).toEqual([]);
	await context.close();
});

test('bad push subscriptions get a 4xx and store nothing', async ({ browser, baseURL }) => {
	const context = await browser.newContext({ baseURL });
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	const good = pushService.subscribe();
	const bad: [string, unknown, number][] = [
		['a huge body', { ...good, endpoint: `https://push.example/${'x'.repeat(10_000)}` }, 413],
		['an http endpoint', { ...good, endpoint: 'http://push.example/x', ecdh: undefined }, 400],
		['a private address', { ...good, endpoint: 'https://192.168.1.2/x', ecdh: undefined }, 400],
		['no keys', { endpoint: good.endpoint }, 400],
		['a short p256dh', { endpoint: good.endpoint, keys: { ...good.keys, p256dh: 'AAAA' } }, 400],
		[
			'an auth of the wrong length',
			{ endpoint: good.endpoint, keys: { ...good.keys, auth: 'AAAA' } },
			400
		],
		['not an object', 'endpoint', 400]
	];
	for (const [name, body, status] of bad) {
		const res = await api<{ error: { code: string } }>(
			page,
			'POST',
			'/api/push/subscriptions',
			body
		);
		expect(res.status, name).toBe(status);
		expect(res.body.error.code, name).toBeTruthy();
	}
	const status = await api<{ subscribed: boolean }>(page, 'GET', '/api/push/subscriptions');
	expect(status.body.subscribed).toBe(false);
	// Without a session: 401.
	const anonymous = await browser.newContext({ baseURL });
	const res = await anonymous.request.get('/api/push/subscriptions');
	expect(res.status()).toBe(401);
	await anonymous.close();
	await context.close();
});

test('a reply the open page is showing sends no push; the next one nobody watches does', async ({
	browser,
	baseURL
}) => {
	test.setTimeout(90_000);
	const sub = pushService.subscribe();
	const context = await browser.newContext({ ...PHONE, baseURL });
	await context.grantPermissions(['notifications'], { origin: baseURL });
	await fakePushManager(context, sub);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	await page.goto('/settings');
	await controlled(page);
	await page.getByRole('switch', { name: /Tell me when a reply is ready/ }).tap();
	await expect(page.getByText('This device will be told when a reply is ready.')).toBeVisible();

	const watched = await api<ConversationDto>(page, 'POST', '/api/conversations', {
		title: 'Watched by the page'
	});
	await page.goto(`/c/${watched.body.id}`);
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByRole('textbox', { name: 'Message' }).fill('Tell me while I watch');
	await page.getByRole('button', { name: 'Send' }).tap();
	await expect(page.locator('article.message.assistant').last()).toHaveAttribute(
		'data-status',
		/^(done|failed)$/,
		{ timeout: 30_000 }
	);

	// Then a reply in another conversation, which no page streams: the only push is for it.
	const unwatched = await api<ConversationDto>(page, 'POST', '/api/conversations', {
		title: 'Nobody watching'
	});
	const sent = await api<SendResultDto>(
		page,
		'POST',
		`/api/conversations/${unwatched.body.id}/messages`,
		{ content: 'And this one?', maxTokens: 8 }
	);
	expect(sent.status).toBe(202);
	const mine = await pushService.waitForEndpoint(sub.endpoint);
	expect(mine.map((p) => (JSON.parse(p.payload!) as PushNotificationDto).url)).toEqual([
		`/c/${unwatched.body.id}`
	]);
	await context.close();
});

/** Emulates the page being hidden (a locked phone) or shown again. */
async function setVisibility(page: Page, state: 'hidden' | 'visible') {
	await page.evaluate((state) => {
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
		Object.defineProperty(document, 'hidden', {
			configurable: true,
			get: () => state === 'hidden'
		});
		document.dispatchEvent(new Event('visibilitychange'));
	}, state);
}

test('a locked phone does not count as watching: the reply is pushed, and shown whole when it wakes', async ({
	browser,
	baseURL
}) => {
	test.setTimeout(90_000);
	const sub = pushService.subscribe();
	const context = await browser.newContext({ ...PHONE, baseURL });
	await context.grantPermissions(['notifications'], { origin: baseURL });
	await fakePushManager(context, sub);
	const page = await context.newPage();
	await signIn(page, USER.username, USER.password);
	await page.goto('/settings');
	await controlled(page);
	await page.getByRole('switch', { name: /Tell me when a reply is ready/ }).tap();
	await expect(page.getByText('This device will be told when a reply is ready.')).toBeVisible();

	const chat = await api<ConversationDto>(page, 'POST', '/api/conversations', {
		title: 'Locked mid-reply'
	});
	await page.goto(`/c/${chat.body.id}`);
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByRole('textbox', { name: 'Message' }).fill('A long story, please');
	await page.getByRole('button', { name: 'Send' }).tap();
	const reply = page.locator('article.message.assistant').last();
	await expect(reply.getByTestId('message-content')).not.toHaveText('', { timeout: 10_000 });

	// Locked: the page closes its stream, so the server sees nobody watching and pushes.
	await setVisibility(page, 'hidden');
	const pushed = await pushService.waitForEndpoint(sub.endpoint);
	expect(pushed.map((p) => (JSON.parse(p.payload!) as PushNotificationDto).url)).toEqual([
		`/c/${chat.body.id}`
	]);

	// Unlocked: the stream resumes from its last event and the whole reply is on screen.
	await setVisibility(page, 'visible');
	await expect(reply).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
	const saved = await api<ConversationDto>(page, 'GET', `/api/conversations/${chat.body.id}`);
	const last = saved.body.messages.at(-1)!;
	expect(last.status).toBe('done');
	await expect(reply.getByTestId('message-content')).toHaveText(renderedText(last.content));
	expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
	await saveScreenshot(page, 'push-locked-phone-resumed');
	await context.close();
});
