// The first run on a phone (390×844, touch) with llama.cpp in router mode over an empty models
// folder: the admin taps "Download a small model", watches its progress (the stand-in hub holds
// the file half-way until the screenshot is taken), and the first chat is answered by the model
// just downloaded. Then Admin → Local models lists it, at the same width.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { generateTestModel } from '../../llama/test-model';
import { startLlamaServer, type LlamaServer } from '../support/llama-server';
import { startModelHub, type ModelHub } from '../support/model-hub';
import { addUser, startHearth, type HearthServer } from '../support/hearth-server';
import { saveScreenshot, signIn } from './helpers';
import { FIRST_RUN_PRESET, MODEL_PRESETS, modelNameOf } from '$lib/shared/local-models';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;
const preset = MODEL_PRESETS.find((p) => p.id === FIRST_RUN_PRESET)!;
const MODEL = Buffer.from(generateTestModel({ seed: 5 }));

let dir: string;
let llama: LlamaServer;
let hub: ModelHub;
let hearth: HearthServer;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-e2e-models-'));
	llama = await startLlamaServer({ modelsDir: dir, modelsMax: 1 });
	hub = await startModelHub({
		[`${preset.repo}/${preset.file}`]: { bytes: MODEL, holdAfter: Math.floor(MODEL.length * 0.4) }
	});
	hearth = await startHearth({ LLAMA_URL: llama.url, LLAMA_MODELS_DIR: dir, HF_ENDPOINT: hub.url });
	addUser(hearth, 'pi-admin', 'pi-admin-password', true);
});

test.afterAll(async () => {
	await hearth?.stop();
	await llama?.stop();
	await hub?.close();
	fs.rmSync(dir, { recursive: true, force: true });
});

const fits = (page: import('@playwright/test').Page) =>
	page.evaluate(() => document.documentElement.scrollWidth);

test('first run: download a small model with progress, then the first chat is answered', async ({
	browser
}) => {
	test.setTimeout(90_000);
	const context = await browser.newContext({ ...PHONE, baseURL: hearth.url });
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await signIn(page, 'pi-admin', 'pi-admin-password');
	const card = page.getByTestId('no-model');
	const button = card.getByRole('button', { name: 'Download a small model (about 1 GB)' });
	await expect(button).toBeVisible();
	await button.tap();
	// Held by the hub at 40 %: the bar and its figures show, and survive a reload.
	const progress = card.getByTestId('download');
	await expect(progress).toHaveAttribute('data-state', 'running');
	await expect(progress.getByTestId('download-figures')).toContainText(/ of \d/);
	await page.reload();
	await expect(card.getByTestId('download')).toHaveAttribute('data-state', 'running');
	await expect(card.getByRole('progressbar', { name: 'Download progress' })).toHaveAttribute(
		'value',
		String(Math.floor(MODEL.length * 0.4))
	);
	expect(await fits(page)).toBeLessThanOrEqual(390);
	await saveScreenshot(page, 'first-model-download');

	hub.release();
	await expect(card).toHaveCount(0, { timeout: 30_000 });
	await expect(page.getByLabel('Model')).toHaveValue(`llama/${modelNameOf(preset.file)}`);
	await page.getByRole('textbox', { name: 'Message' }).fill('Hello from the Pi');
	await page.getByRole('button', { name: 'Send' }).tap();
	const reply = page.locator('article.message.assistant').last();
	await expect(reply).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
	expect(await fits(page)).toBeLessThanOrEqual(390);
	await saveScreenshot(page, 'first-model-chat');
	expect(errors).toEqual([]);
	await context.close();
});

test('Admin → Local models lists the downloaded model on a phone', async ({ browser }) => {
	const context = await browser.newContext({ ...PHONE, baseURL: hearth.url });
	const page = await context.newPage();
	await signIn(page, 'pi-admin', 'pi-admin-password');
	await page.goto('/admin/local-models');
	const model = page.getByTestId('local-model');
	await expect(model).toHaveCount(1);
	await expect(model).toHaveAttribute('data-name', modelNameOf(preset.file));
	await expect(model).toContainText('F32');
	await expect(page.getByTestId('preset')).toHaveCount(MODEL_PRESETS.length);
	expect(await fits(page)).toBeLessThanOrEqual(390);
	await saveScreenshot(page, 'local-models', true);
	await context.close();
});
