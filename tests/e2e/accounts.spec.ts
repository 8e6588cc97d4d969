// The account journeys a household goes through, in order, in a real browser.
import { expect, test } from '@playwright/test';
import { generateHOTP } from '@oslojs/otp';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import {
	ADMIN,
	ensureUser,
	expectSignedInAs,
	hearthCli,
	openMenu,
	saveScreenshot,
	signIn
} from './helpers';

/**
 * A code for the current 30-second step, or one before it (the server allows one step of clock
 * drift): enrolling with the previous step's code leaves the current one unused for signing in.
 */
function codeFor(manualKey: string, stepsFromNow = 0): string {
	const step = Math.floor(Date.now() / 30_000) + stepsFromNow;
	return generateHOTP(decodeBase32IgnorePadding(manualKey), BigInt(step), 6);
}

async function typeCode(page: import('@playwright/test').Page, code: string) {
	await expect(page).toHaveURL(/\/login\/code/);
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByLabel('Code from your authenticator app').fill(code);
	await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(page: import('@playwright/test').Page) {
	await openMenu(page);
	await page.getByRole('button', { name: 'Sign out' }).click();
	await expect(page).toHaveURL(/\/login$/);
}

test.describe.configure({ mode: 'serial' });

test('first run: the app sends you to /setup and creates the admin', async ({ page }) => {
	await page.goto('/');
	await expect(page).toHaveURL(/\/setup$/);
	await page.getByLabel('Admin username').fill(ADMIN.username);
	await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
	await page.getByLabel('Repeat password').fill('something else');
	await page.getByRole('button', { name: 'Create admin' }).click();
	await expect(page.getByRole('alert')).toHaveText('The two passwords do not match');
	await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
	await page.getByLabel('Repeat password').fill(ADMIN.password);
	await page.getByRole('button', { name: 'Create admin' }).click();
	await expectSignedInAs(page, ADMIN.username);
	await openMenu(page);
	await expect(page.getByRole('link', { name: 'Admin' })).toBeVisible();
});

test('setup is closed once an admin exists', async ({ page, request, baseURL }) => {
	await page.goto('/setup');
	await expect(page).toHaveURL(/\/login$/);
	const response = await request.post('/setup', {
		form: { username: 'intruder', password: 'intruder-pass', confirm: 'intruder-pass' },
		headers: { origin: baseURL!, accept: 'text/html' },
		maxRedirects: 0
	});
	expect([303, 409]).toContain(response.status());
	expect(response.headers()['set-cookie'] ?? '').not.toContain('hearth_session=');
	const login = await request.post('/api/auth/login', {
		data: { username: 'intruder', password: 'intruder-pass' },
		headers: { origin: baseURL! }
	});
	expect(login.status()).toBe(401);
});

test('sign out, a wrong password, then sign in', async ({ page }) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	await expectSignedInAs(page, ADMIN.username);
	await openMenu(page);
	await page.getByRole('button', { name: 'Sign out' }).click();
	await expect(page).toHaveURL(/\/login$/);
	await page.goto('/settings');
	await expect(page).toHaveURL(/\/login\?next=%2Fsettings$/);
	await page.getByLabel('Username').fill(ADMIN.username);
	await page.getByLabel('Password').fill('wrong-password');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('alert')).toHaveText('Wrong username or password');
	await page.getByLabel('Password').fill(ADMIN.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page).toHaveURL(/\/settings$/);
});

test('a hostile next= never takes the browser off the app, signed in or signing in', async ({
	page,
	baseURL
}) => {
	const origin = new URL(baseURL!).origin;
	const hostile = [
		'%2F%09%2Fevil.example',
		'%2F%2Fevil.example',
		'%2F%5Cevil.example',
		'%2F.%2F%2Fevil.example',
		'https%3A%2F%2Fevil.example'
	];
	// Typing the password on a sign-in link that carries a hostile next=.
	await page.goto(`/login?next=${hostile[0]}`);
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByLabel('Username').fill(ADMIN.username);
	await page.getByLabel('Password').fill(ADMIN.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expectSignedInAs(page, ADMIN.username);
	expect(new URL(page.url()).origin).toBe(origin);
	expect(new URL(page.url()).pathname).toBe('/');
	// Already signed in: the sign-in page forwards at once.
	for (const next of hostile) {
		await page.goto(`/login?next=${next}`);
		await expectSignedInAs(page, ADMIN.username);
		expect(new URL(page.url()).origin, next).toBe(origin);
	}
	await page.goto('/login?next=%2Fsettings');
	await expect(page).toHaveURL(`${origin}/settings`);
});

test('an invite link makes one account, once', async ({ page, browser }) => {
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin');
	await page.getByRole('button', { name: 'Create invite link' }).click();
	const link = (await page.getByTestId('invite-url').textContent())!.trim();
	expect(link).toMatch(/\/invite\/[a-z2-7]{32}$/);

	const guest = await browser.newContext();
	const bob = await guest.newPage();
	await bob.goto(link);
	await bob.locator('html[data-ready]').waitFor({ state: 'attached' }); // hydrated: fills stick
	await bob.getByLabel('Username').fill('bob');
	await bob.getByLabel('Password', { exact: true }).fill('bob-password-1');
	await bob.getByLabel('Repeat password').fill('bob-password-1');
	await bob.getByRole('button', { name: 'Create account' }).click();
	await expectSignedInAs(bob, 'bob');
	await expect(bob.getByRole('link', { name: 'Admin' })).toHaveCount(0);
	const adminPage = await bob.goto('/admin');
	expect(adminPage?.status()).toBe(404);
	await guest.close();

	const late = await browser.newContext();
	const eve = await late.newPage();
	await eve.goto(link);
	await expect(eve.getByRole('heading', { name: 'Invite not valid' })).toBeVisible();
	await late.close();

	await page.reload();
	await expect(page.getByRole('cell', { name: 'bob', exact: true })).toBeVisible();
});

test('an invite link has Copy and Share buttons on a phone', async ({ browser }) => {
	const context = await browser.newContext({
		viewport: { width: 390, height: 844 },
		isMobile: true,
		hasTouch: true,
		permissions: ['clipboard-read', 'clipboard-write']
	});
	// Chromium on Linux has no share sheet: record what the page hands to the Web Share API.
	await context.addInitScript(() => {
		const shared: ShareData[] = [];
		Object.assign(window, { __shared: shared });
		Object.defineProperty(navigator, 'share', {
			value: async (data: ShareData) => void shared.push(data)
		});
	});
	const page = await context.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin');
	await page.getByRole('button', { name: 'Create invite link' }).tap();
	const link = (await page.getByTestId('invite-url').textContent())!.trim();
	expect(link).toMatch(/\/invite\/[a-z2-7]{32}$/);
	await page.getByRole('button', { name: 'Copy', exact: true }).tap();
	await expect(page.getByText('Copied.')).toBeVisible();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
	await page.getByRole('button', { name: 'Share', exact: true }).tap();
	await expect
		.poll(() => page.evaluate(() => (window as unknown as { __shared: ShareData[] }).__shared))
		.toEqual([{ title: 'Your invitation to Hearth', url: link }]);
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
	// The tables' row actions are thumb-sized too, though they read as links.
	for (const action of [
		page.getByRole('button', { name: `Remove ${ADMIN.username}` }),
		page.getByRole('button', { name: 'Revoke' }).first()
	])
		expect((await action.boundingBox())!.height).toBeGreaterThanOrEqual(40);
	await context.close();
});

test("changing a password ends the other browser's session", async ({ browser }) => {
	const phone = await (await browser.newContext()).newPage();
	const laptop = await (await browser.newContext()).newPage();
	await signIn(phone, 'bob', 'bob-password-1');
	await expectSignedInAs(phone, 'bob');
	await signIn(laptop, 'bob', 'bob-password-1');
	await expectSignedInAs(laptop, 'bob');

	await laptop.goto('/settings');
	await laptop.getByLabel('Current password').fill('bob-password-1');
	await laptop.getByLabel('New password', { exact: true }).fill('bob-password-2');
	await laptop.getByLabel('Repeat new password').fill('bob-password-2');
	await laptop.getByRole('button', { name: 'Change password' }).click();
	await expect(laptop.getByRole('status')).toContainText('Password changed');
	await laptop.goto('/');
	await expectSignedInAs(laptop, 'bob');

	await phone.reload();
	await expect(phone).toHaveURL(/\/login$/);
	await signIn(phone, 'bob', 'bob-password-1');
	await expect(phone.getByRole('alert')).toHaveText('Wrong username or password');
	await signIn(phone, 'bob', 'bob-password-2');
	await expectSignedInAs(phone, 'bob');
});

test('Settings lists the signed-in devices; signing one out ends it at its next request', async ({
	browser,
	baseURL
}) => {
	const SAFARI_IPHONE =
		'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
	const FIREFOX_MAC =
		'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0';
	const phoneContext = await browser.newContext({
		viewport: { width: 390, height: 844 },
		isMobile: true,
		hasTouch: true,
		userAgent: SAFARI_IPHONE
	});
	const laptopContext = await browser.newContext({ userAgent: FIREFOX_MAC });
	const phone = await phoneContext.newPage();
	const laptop = await laptopContext.newPage();
	await signIn(phone, 'bob', 'bob-password-2');
	await expectSignedInAs(phone, 'bob');

	// Start from this phone alone: the earlier tests left bob signed in elsewhere.
	await phone.goto('/settings');
	const devices = phone.getByTestId('devices').getByRole('listitem');
	await expect(devices.first()).toContainText('This device');
	await phone.getByRole('button', { name: 'Sign out all other devices' }).tap();
	await expect(phone.getByRole('status')).toContainText(/Signed out \d+ other device/);
	await expect(devices).toHaveCount(1);

	await signIn(laptop, 'bob', 'bob-password-2');
	await expectSignedInAs(laptop, 'bob');
	await phone.reload();
	await expect(devices).toHaveCount(2);
	await expect(devices.nth(0)).toContainText('Safari 17 on iOS');
	await expect(devices.nth(0)).toContainText('This device');
	await expect(devices.nth(1)).toContainText('Firefox 133 on macOS');
	await expect(devices.nth(1)).not.toContainText('This device');
	await phone.getByTestId('devices').scrollIntoViewIfNeeded();
	await saveScreenshot(phone, 'security');
	expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBe(390);

	await phone.getByRole('button', { name: 'Sign out Firefox 133 on macOS' }).tap();
	await expect(phone.getByRole('status')).toHaveText('Signed out.');
	await expect(devices).toHaveCount(1);
	const api = await laptop.request.get('/api/me');
	expect(api.status()).toBe(401);
	await laptop.reload();
	await expect(laptop).toHaveURL(/\/login$/);

	// Unknown or malformed device ids: a JSON 404, and nothing signed out.
	for (const bad of ['nope', 'A'.repeat(22), 'x'.repeat(300), '%00']) {
		const response = await phone.request.delete(`/api/me/sessions/${bad}`, {
			headers: { origin: baseURL! }
		});
		expect(response.status()).toBe(404);
		expect((await response.json()).error.code).toBe('not_found');
	}
	await phone.reload();
	await expectSignedInAs(phone, 'bob');
	await phoneContext.close();
	await laptopContext.close();
});

test('two-factor: enrol with a QR code, sign in with a code, no replays, recovery codes once, CLI reset', async ({
	browser,
	baseURL
}) => {
	ensureUser('dora', 'dora-password-1');
	const context = await browser.newContext({
		viewport: { width: 390, height: 844 },
		isMobile: true,
		hasTouch: true
	});
	const page = await context.newPage();
	await signIn(page, 'dora', 'dora-password-1');
	await expectSignedInAs(page, 'dora');
	await page.goto('/settings');
	const section = page.locator('section', {
		has: page.getByRole('heading', { name: 'Two-factor sign-in' })
	});
	await section.getByRole('button', { name: 'Set up two-factor sign-in' }).tap();
	const qr = section.getByRole('img', { name: 'QR code for your authenticator app' });
	await expect(qr).toBeVisible();
	// The QR code is a data: image that the CSP allows, and it actually rendered.
	expect(await qr.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(100);
	const key = (await section.getByTestId('totp-key').textContent())!.trim();
	await section.getByLabel('Code from the app').fill('000000');
	await section.getByRole('button', { name: 'Turn on' }).tap();
	await expect(section.getByRole('alert')).toContainText('not right');
	await qr.scrollIntoViewIfNeeded();
	await saveScreenshot(page, 'two-factor');
	await section.getByLabel('Code from the app').fill(codeFor(key, -1));
	await section.getByRole('button', { name: 'Turn on' }).tap();
	const codes = section.getByTestId('recovery-codes').getByRole('listitem');
	await expect(codes).toHaveCount(10);
	const recovery = (await codes.allTextContents()).map((c) => c.trim());
	expect(recovery[0]).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);

	// The password alone no longer signs in: the code step follows, and a wrong code fails.
	await signOut(page);
	await signIn(page, 'dora', 'dora-password-1');
	await typeCode(page, '123456');
	await expect(page.getByRole('alert')).toContainText('not right');
	const code = codeFor(key);
	await typeCode(page, code);
	await expectSignedInAs(page, 'dora');

	// The same code again, within its window: refused.
	await signOut(page);
	await signIn(page, 'dora', 'dora-password-1');
	await typeCode(page, code);
	await expect(page.getByRole('alert')).toContainText('already used');

	// A recovery code works once.
	await typeCode(page, recovery[0]!);
	await expectSignedInAs(page, 'dora');
	await signOut(page);
	await signIn(page, 'dora', 'dora-password-1');
	await typeCode(page, recovery[0]!);
	await expect(page.getByRole('alert')).toContainText('already used');

	// The code step by API: junk and a missing pending login are 4xx JSON, nothing signed in.
	const bare = await page.request.post('/api/auth/login/code', {
		data: { code: 'x'.repeat(65) },
		headers: { origin: baseURL! }
	});
	expect(bare.status()).toBe(400);
	const api = await browser.newContext();
	const noPending = await api.request.post('/api/auth/login/code', {
		data: { code: '123456' },
		headers: { origin: baseURL! }
	});
	expect(noPending.status()).toBe(401);
	expect((await noPending.json()).error.code).toBe('expired');
	const password = await api.request.post('/api/auth/login', {
		data: { username: 'dora', password: 'dora-password-1' },
		headers: { origin: baseURL! }
	});
	expect(await password.json()).toMatchObject({ secondFactor: true });
	expect((await api.request.get('/api/me')).status()).toBe(401);
	const byApi = await api.request.post('/api/auth/login/code', {
		data: { code: recovery[1] },
		headers: { origin: baseURL! }
	});
	expect(byApi.status()).toBe(200);
	expect((await api.request.get('/api/me')).status()).toBe(200);
	await api.close();

	// The admin resets it from the CLI: the password alone signs in again.
	expect(hearthCli(['user', 'reset-2fa', 'dora'])).toMatchObject({ status: 0 });
	await page.goto('/login');
	await signIn(page, 'dora', 'dora-password-1');
	await expectSignedInAs(page, 'dora');

	// All of it is in dora's account activity, newest first.
	await page.goto('/settings');
	const events = page.getByTestId('security-events').getByRole('listitem');
	await expect(events.first()).toContainText('Signed in');
	for (const kind of [
		'Two-factor sign-in reset',
		'Recovery code used',
		'Wrong two-factor code',
		'Two-factor sign-in turned on'
	]) {
		await expect(events.filter({ hasText: kind }).first()).toBeVisible();
	}
	await expect(page.getByLabel("Show everyone's (administrator)")).toHaveCount(0);
	const others = await page.request.get('/api/admin/security-events');
	expect(others.status()).toBe(404);
	await context.close();
});

test('two-factor required for everyone: a user without it is taken to enrolment', async ({
	page,
	baseURL
}) => {
	ensureUser('eli', 'eli-password-1');
	expect(hearthCli(['user', 'require-2fa', 'on'])).toMatchObject({ status: 0 });
	try {
		await signIn(page, 'eli', 'eli-password-1');
		await expect(page).toHaveURL(/\/settings\/two-factor$/);
		await page.goto('/');
		await expect(page).toHaveURL(/\/settings\/two-factor$/);
		const blocked = await page.request.get('/api/conversations', { headers: { origin: baseURL! } });
		expect(blocked.status()).toBe(403);
		expect((await blocked.json()).error.code).toBe('two_factor_required');
		await page.locator('html[data-ready]').waitFor({ state: 'attached' });
		await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
		const key = (await page.getByTestId('totp-key').textContent())!.trim();
		await page.getByLabel('Code from the app').fill(codeFor(key));
		await page.getByRole('button', { name: 'Turn on' }).click();
		await expect(page.getByTestId('recovery-codes').getByRole('listitem')).toHaveCount(10);
		await page.getByRole('button', { name: /I saved them/ }).click();
		await expect(page).toHaveURL(new URL('/', baseURL).href);
		await expectSignedInAs(page, 'eli');
		expect((await page.request.get('/api/conversations')).status()).toBe(200);
	} finally {
		expect(hearthCli(['user', 'require-2fa', 'off'])).toMatchObject({ status: 0 });
	}
});

test('passkeys: register two with names, sign in without a username, remove one', async ({
	browser,
	baseURL
}) => {
	ensureUser('fay', 'fay-password-1');
	// WebAuthn refuses an IP address as the relying party: reach the server as localhost.
	const local = baseURL!.replace('127.0.0.1', 'localhost');
	const context = await browser.newContext({ baseURL: local });
	const page = await context.newPage();
	const cdp = await context.newCDPSession(page);
	await cdp.send('WebAuthn.enable');
	const authenticator = () =>
		cdp.send('WebAuthn.addVirtualAuthenticator', {
			options: {
				protocol: 'ctap2',
				transport: 'internal',
				hasResidentKey: true,
				hasUserVerification: true,
				isUserVerified: true,
				automaticPresenceSimulation: true
			}
		});
	const laptop = await authenticator();

	await signIn(page, 'fay', 'fay-password-1');
	await expectSignedInAs(page, 'fay');
	await page.goto('/settings');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	const passkeys = page.getByTestId('passkeys').getByRole('listitem');
	await page.getByLabel('Name for a new passkey').fill('Laptop');
	await page.getByRole('button', { name: 'Add a passkey' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Passkey added.' })).toBeVisible();
	await expect(passkeys).toHaveCount(1);
	// A second device: another authenticator (the first may not register twice).
	await cdp.send('WebAuthn.removeVirtualAuthenticator', laptop);
	await authenticator();
	await page.getByLabel('Name for a new passkey').fill('Phone key');
	await page.getByRole('button', { name: 'Add a passkey' }).click();
	await expect(passkeys).toHaveCount(2);
	await expect(passkeys.nth(1)).toContainText('Phone key');

	// Signing in with the passkey alone: no username typed.
	await signOut(page);
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByRole('button', { name: 'Use a passkey' }).click();
	await expectSignedInAs(page, 'fay');

	await page.goto('/settings');
	await page.getByRole('button', { name: 'Remove passkey Laptop' }).click();
	await expect(passkeys).toHaveCount(1);
	await expect(passkeys.first()).toContainText('Phone key');
	await page.reload();
	const events = page.getByTestId('security-events').getByRole('listitem');
	await expect(events.filter({ hasText: 'Passkey added' })).toHaveCount(2);
	await expect(events.filter({ hasText: 'Passkey removed' }).first()).toBeVisible();

	// Malformed WebAuthn bodies and unknown credentials: 4xx JSON, nobody signed in.
	const api = await browser.newContext({ baseURL: local });
	const bad = await api.request.post('/api/auth/passkey', {
		data: { challengeId: 'x', response: { id: '<script>', type: 'public-key' } },
		headers: { origin: local }
	});
	expect(bad.status()).toBe(400);
	const options = await (
		await api.request.post('/api/auth/passkey/options', { headers: { origin: local } })
	).json();
	const forged = await api.request.post('/api/auth/passkey', {
		data: {
			challengeId: options.challengeId,
			response: {
				id: 'AAAA',
				rawId: 'AAAA',
				type: 'public-key',
				response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
				clientExtensionResults: {}
			}
		},
		headers: { origin: local }
	});
	expect(forged.status()).toBe(401);
	expect((await api.request.get('/api/me')).status()).toBe(401);
	await api.close();
	await context.close();
});

test('repeated failures throttle the account, even for the right password', async ({ page }) => {
	for (let i = 0; i < 5; i++) {
		await signIn(page, 'bob', `guess-${i}-wrong`);
		await expect(page.getByRole('alert')).toHaveText('Wrong username or password');
	}
	await signIn(page, 'bob', 'bob-password-2');
	await expect(page.getByRole('alert')).toContainText('Too many failed sign-ins');
	await expect(page).toHaveURL(/\/login$/);
});

test('a locked account answers 429 with Retry-After on the form and the API', async ({
	request,
	baseURL
}) => {
	const form = await request.post('/login', {
		form: { username: 'bob', password: 'bob-password-2' },
		headers: { origin: baseURL!, accept: 'text/html' },
		maxRedirects: 0
	});
	expect(form.status()).toBe(429);
	expect(Number(form.headers()['retry-after'])).toBeGreaterThan(0);
	expect(form.headers()['set-cookie'] ?? '').not.toContain('hearth_session=');
	const api = await request.post('/api/auth/login', {
		data: { username: 'bob', password: 'bob-password-2' },
		headers: { origin: baseURL! }
	});
	expect(api.status()).toBe(429);
	expect(Number(api.headers()['retry-after'])).toBeGreaterThan(0);
	expect((await api.json()).error).toMatchObject({ code: 'throttled' });
});

test('the admin removes a user, who is signed out everywhere', async ({ page, browser }) => {
	const carolContext = await browser.newContext();
	const carol = await carolContext.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	await page.goto('/admin');
	await page.getByRole('button', { name: 'Create invite link' }).click();
	const link = (await page.getByTestId('invite-url').textContent())!.trim();
	await carol.goto(link);
	await carol.locator('html[data-ready]').waitFor({ state: 'attached' }); // hydrated: fills stick
	await carol.getByLabel('Username').fill('carol');
	await carol.getByLabel('Password', { exact: true }).fill('carol-password');
	await carol.getByLabel('Repeat password').fill('carol-password');
	await carol.getByRole('button', { name: 'Create account' }).click();
	await expectSignedInAs(carol, 'carol');

	await page.reload();
	page.once('dialog', (dialog) => dialog.accept());
	await page.getByRole('button', { name: 'Remove carol' }).click();
	await expect(page.getByRole('status')).toContainText('Removed carol');
	await expect(page.getByRole('cell', { name: 'carol', exact: true })).toHaveCount(0);
	await carol.reload();
	await expect(carol).toHaveURL(/\/login$/);
	await carolContext.close();
});

test('CSP blocks an injected inline script', async ({ page }) => {
	await page.goto('/login');
	const ran = await page.evaluate(async () => {
		const w = window as unknown as { injected?: boolean };
		const violation = new Promise<string>((resolve) =>
			document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), {
				once: true
			})
		);
		const script = document.createElement('script');
		script.textContent = 'window.injected = true';
		document.body.append(script);
		return { directive: await violation, injected: w.injected === true };
	});
	expect(ran).toEqual({ directive: 'script-src-elem', injected: false });
});
