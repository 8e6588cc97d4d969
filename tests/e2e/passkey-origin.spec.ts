// A passkey assertion made for another origin, over HTTP: the passkey is registered for real in
// Chromium (virtual authenticator); its private key, read over CDP, signs an assertion whose
// clientDataJSON names another origin (as a phishing page's would). 401, no cookie, and the owner
// sees a failed sign-in; the same key signing for Hearth's own origin signs in.
import { createPrivateKey } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { ensureUser, expectSignedInAs, signIn } from './helpers';
import { signedAssertion } from '../support/webauthn';
import type { SecurityEventDto } from '$lib/shared/dto';

const USER = { username: 'gwen', password: 'gwen-password-1' };

test('a wrong-origin passkey assertion is refused and logged; the right origin signs in', async ({
	browser,
	baseURL
}) => {
	ensureUser(USER.username, USER.password);
	// WebAuthn refuses an IP address as the relying party: reach the server as localhost.
	const local = baseURL!.replace('127.0.0.1', 'localhost');
	const context = await browser.newContext({ baseURL: local });
	const page = await context.newPage();
	const cdp = await context.newCDPSession(page);
	await cdp.send('WebAuthn.enable');
	const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
		options: {
			protocol: 'ctap2',
			transport: 'internal',
			hasResidentKey: true,
			hasUserVerification: true,
			isUserVerified: true,
			automaticPresenceSimulation: true
		}
	});
	await signIn(page, USER.username, USER.password);
	await expectSignedInAs(page, USER.username);
	await page.goto('/settings');
	await page.locator('html[data-ready]').waitFor({ state: 'attached' });
	await page.getByLabel('Name for a new passkey').fill('Desk key');
	await page.getByRole('button', { name: 'Add a passkey' }).click();
	await expect(page.getByRole('status').filter({ hasText: 'Passkey added.' })).toBeVisible();
	const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
	const credential = credentials[0]!;
	const credentialId = Buffer.from(credential.credentialId, 'base64').toString('base64url');
	const privateKey = createPrivateKey({
		key: Buffer.from(credential.privateKey, 'base64'),
		format: 'der',
		type: 'pkcs8'
	});

	const stranger = await browser.newContext({ baseURL: local });
	const attempt = async (origin: string, counter: number) => {
		const options = await stranger.request.post('/api/auth/passkey/options', {
			headers: { origin: local }
		});
		const { challengeId, options: request } = (await options.json()) as {
			challengeId: string;
			options: { challenge: string; rpId: string };
		};
		return stranger.request.post('/api/auth/passkey', {
			data: {
				challengeId,
				response: signedAssertion(
					credentialId,
					privateKey,
					request.challenge,
					origin,
					request.rpId,
					counter
				)
			},
			headers: { origin: local }
		});
	};
	const phished = await attempt('https://hearth-login.example', credential.signCount + 10);
	expect(phished.status()).toBe(401);
	expect((await phished.json()).error.code).toBe('invalid');
	expect(phished.headers()['set-cookie']).toBeUndefined();
	expect((await stranger.request.get('/api/me/sessions')).status()).toBe(401);

	const events = (await (await page.request.get('/api/me/security-events')).json()) as {
		events: SecurityEventDto[];
	};
	expect(events.events[0]).toMatchObject({
		kind: 'sign_in_failed',
		detail: 'passkey "Desk key" not accepted'
	});

	// The same key for Hearth's own origin is accepted: the refusal was the origin's.
	const genuine = await attempt(local, credential.signCount + 11);
	expect(genuine.status(), await genuine.text()).toBe(200);
	expect((await stranger.request.get('/api/me/sessions')).status()).toBe(200);
	await stranger.close();
	await context.close();
});
