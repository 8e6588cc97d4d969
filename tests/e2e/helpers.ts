import { expect, type Page } from '@playwright/test';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };

/** Submits the sign-in form and waits until it settled: navigated away, or an error shown. */
export async function signIn(page: Page, username: string, password: string) {
	await page.goto('/login');
	await page.getByLabel('Username').fill(username);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(async () => {
		const left = new URL(page.url()).pathname !== '/login';
		expect(left || (await page.getByRole('alert').isVisible())).toBe(true);
	}).toPass({ timeout: 10_000 });
}

export async function expectSignedInAs(page: Page, username: string) {
	await expect(page.getByTestId('signed-in-as')).toHaveText(username);
}
