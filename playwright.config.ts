// End-to-end tests: Debian's Chromium (never a downloaded browser) against the built server,
// started by Playwright on 127.0.0.1, a free port and a throwaway DATA_DIR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { freePort } from './tests/support/ports';
import { llamaServerBinary, SLOW_MODEL } from './tests/support/llama-server';
import { generateTestModel } from './llama/test-model';

// Workers re-read this file: the first evaluation picks the port and folder, later ones inherit.
if (!process.env.HEARTH_E2E_PORT) {
	process.env.HEARTH_E2E_PORT = String(await freePort());
	process.env.HEARTH_E2E_LLAMA_PORT = String(await freePort());
	process.env.HEARTH_E2E_DATA = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-e2e-'));
	// A slowish model (≈140 tokens/s) that runs to the context limit: replies last a few seconds.
	const model = path.join(process.env.HEARTH_E2E_DATA, 'model.gguf');
	fs.writeFileSync(model, generateTestModel(SLOW_MODEL));
	process.env.HEARTH_E2E_MODEL = model;
	process.env.HEARTH_E2E_LLAMA_BIN = llamaServerBinary();
}
const port = Number(process.env.HEARTH_E2E_PORT);
const llamaPort = Number(process.env.HEARTH_E2E_LLAMA_PORT);
const baseURL = `http://127.0.0.1:${port}`;
const llamaArgs = [
	`-m ${process.env.HEARTH_E2E_MODEL}`,
	'--alias hearth-test',
	`--host 127.0.0.1 --port ${llamaPort}`,
	'-c 1536 -np 2 -t 1 --jinja --no-webui --ignore-eos'
].join(' ');

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
	webServer: [
		{
			command: `${process.env.HEARTH_E2E_LLAMA_BIN} ${llamaArgs}`,
			url: `http://127.0.0.1:${llamaPort}/health`,
			reuseExistingServer: false,
			timeout: 60_000,
			stdout: 'ignore',
			stderr: 'ignore'
		},
		{
			command: 'node bin/hearth.js serve',
			url: `${baseURL}/healthz`,
			reuseExistingServer: false,
			timeout: 60_000,
			stdout: 'ignore',
			stderr: 'pipe',
			env: {
				DATA_DIR: process.env.HEARTH_E2E_DATA ?? '',
				DATABASE_URL: '',
				HOST: '127.0.0.1',
				PORT: String(port),
				ORIGIN: '',
				LLAMA_URL: `http://127.0.0.1:${llamaPort}`,
				LOG_LEVEL: 'warn',
				// The whole suite comes from one address and a few users: the request-rate buckets
				// refill at 100/s instead of 4/s (their limits are tested in the integration suite).
				HEARTH_TEST_TIMINGS: 'requestRefillMs=10',
				// Push endpoints at http://127.0.0.1: the stand-in push service of tests/e2e/push.spec.ts.
				HEARTH_TEST_PUSH_LOOPBACK: '1'
			}
		}
	]
});
