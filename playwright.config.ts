// End-to-end tests: Debian's Chromium (never a downloaded browser) against the built server,
// started by Playwright on 127.0.0.1, a free port and a throwaway DATA_DIR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { freePort } from './tests/support/ports';

// Workers re-read this file: the first evaluation picks the port and folder, later ones inherit.
process.env.HEARTH_E2E_PORT ??= String(await freePort());
process.env.HEARTH_E2E_DATA ??= fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-e2e-'));
const port = Number(process.env.HEARTH_E2E_PORT);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
	testDir: 'tests/e2e',
	fullyParallel: false,
	workers: 1,
	forbidOnly: Boolean(process.env.CI),
	retries: 0,
	timeout: 30_000,
	reporter: process.env.CI ? [['list']] : [['list']],
	use: {
		baseURL,
		trace: 'retain-on-failure',
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync'
			]
		}
	},
	webServer: {
		command: 'node bin/hearth.js serve',
		url: `${baseURL}/healthz`,
		reuseExistingServer: false,
		timeout: 60_000,
		stdout: 'ignore',
		stderr: 'pipe',
		env: {
			DATA_DIR: process.env.HEARTH_E2E_DATA,
			DATABASE_URL: '',
			HOST: '127.0.0.1',
			PORT: String(port),
			ORIGIN: '',
			LOG_LEVEL: 'warn'
		}
	}
});
