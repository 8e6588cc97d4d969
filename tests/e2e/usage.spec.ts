// Usage you can see and cap, on a phone at 390×844: the usage page (charts, their table views, the
// date filter), the budget warning at 80 % and the refusal at 100 % in the chat, and the export
// and budget endpoints' owner checks and bad input. Usage events (and their rollup rows) are
// written into the server's SQLite file directly: their cost is what the page and the budget read.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { expect, test } from '@playwright/test';
import { ensureUser, saveScreenshot, signIn } from './helpers';

const ADMIN = { username: 'usageadmin', password: 'usage-admin-password' };
const SPENDER = { username: 'spender', password: 'spender-password-1' };
const OTHER = { username: 'bystander', password: 'bystander-password-1' };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } as const;
const USD = 1_000_000;
const DAY_MS = 86_400_000;
const ROLLUP_SPANS_MS = [15 * 60_000, DAY_MS];

function database() {
	return new SQLite(path.join(process.env.HEARTH_E2E_DATA!, 'hearth.db'));
}
function userId(db: SQLite.Database, username: string): number {
	return (db.prepare('select id from "user" where username = ?').get(username) as { id: number })
		.id;
}
function addUsage(
	username: string,
	conversationId: number | null,
	costMicroUsd: number,
	at: number,
	model = 'gpt-4.1'
) {
	const db = database();
	try {
		const user = userId(db, username);
		db.prepare(
			`insert into usage_event (user_id, conversation_id, source, provider, model, prompt_tokens,
			 completion_tokens, cached_tokens, cost_micro_usd, created_at) values (?, ?, 'chat', 'cloud', ?, ?, ?, ?, ?, ?)`
		).run(user, conversationId, model, 1000, 500, 200, costMicroUsd, at);
		// The page reads the rollup, which the server adds each event to (repos/usage-rollup.ts).
		for (const span of ROLLUP_SPANS_MS)
			db.prepare(
				`insert into usage_rollup (user_id, span_ms, bucket_at, provider, model, local,
				 prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens, reasoning_tokens,
				 cost_micro_usd, replies, estimated) values (?, ?, ?, 'cloud', ?, 0, 1000, 500, 200, 0, 0, ?, 1, 0)
				 on conflict (span_ms, bucket_at, user_id, provider, model, local) do update set
				 prompt_tokens = prompt_tokens + 1000, completion_tokens = completion_tokens + 500,
				 cached_tokens = cached_tokens + 200, cost_micro_usd = cost_micro_usd + excluded.cost_micro_usd,
				 replies = replies + 1`
			).run(user, span, Math.floor(at / span) * span, model, costMicroUsd);
	} finally {
		db.close();
	}
}
function addConversation(username: string, title: string): number {
	const db = database();
	try {
		const now = Date.now();
		const row = db
			.prepare(
				'insert into conversation (user_id, title, created_at, updated_at) values (?, ?, ?, ?) returning id'
			)
			.get(userId(db, username), title, now, now) as { id: number };
		return row.id;
	} finally {
		db.close();
	}
}

test.describe.configure({ mode: 'serial' });
let conversation: number;

test.beforeAll(async ({ browser }) => {
	ensureUser(ADMIN.username, ADMIN.password, true);
	ensureUser(SPENDER.username, SPENDER.password);
	ensureUser(OTHER.username, OTHER.password);
	conversation = addConversation(
		SPENDER.username,
		'=cmd|"/c calc"!A1 budget talk about the long winter evenings'
	);
	addUsage(OTHER.username, null, 3 * USD, Date.now());
	const page = await browser.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	const db = database();
	const spender = userId(db, SPENDER.username);
	db.close();
	const set = await page.request.put(`/api/usage/budgets/${spender}`, { data: { monthlyUsd: 1 } });
	expect(set.status()).toBe(200);
	await page.close();
});

test("budgets refuse bad input and are the admin's alone", async ({ browser }) => {
	const page = await browser.newPage();
	await signIn(page, ADMIN.username, ADMIN.password);
	for (const monthlyUsd of [-5, 'ten', 1e15])
		expect(
			(await page.request.put('/api/usage/budgets/default', { data: { monthlyUsd } })).status()
		).toBe(400);
	expect(
		(await page.request.put('/api/usage/budgets/999999', { data: { monthlyUsd: 1 } })).status()
	).toBe(404);
	await page.close();
	const user = await browser.newPage();
	await signIn(user, OTHER.username, OTHER.password);
	const refused = await user.request.put('/api/usage/budgets/default', {
		data: { monthlyUsd: 1000 }
	});
	expect(refused.status()).toBe(403);
	expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } });
	expect((await user.request.get('/api/usage/export?format=csv&user=all')).status()).toBe(403);
	expect((await user.request.get('/api/usage/summary?tz=Nowhere/Land')).status()).toBe(400);
	await user.close();
});

test('phone: the chat warns at 80 %, the usage page charts and filters, the export is mine only', async ({
	browser
}) => {
	const now = Date.now();
	addUsage(SPENDER.username, conversation, 0.85 * USD, now);
	addUsage(SPENDER.username, conversation, 2 * USD, now - 45 * DAY_MS, 'claude-sonnet-4-5');
	const context = await browser.newContext({ ...PHONE, timezoneId: 'Europe/Paris' });
	const page = await context.newPage();
	await signIn(page, SPENDER.username, SPENDER.password);
	await page.goto(`/c/${conversation}`);
	await expect(page.getByTestId('budget-banner')).toContainText('85 % of this month');
	await expect(page.getByTestId('budget-banner')).toContainText('$0.150 left');

	await page.goto('/usage');
	const totals = page.getByTestId('usage-totals');
	await expect(totals).toContainText('$0.850');
	await expect(page.getByTestId('chart-cost').locator('canvas')).toBeVisible();
	await expect(page.getByTestId('chart-tokens').locator('canvas')).toBeVisible();
	await expect(page.getByTestId('usage-top-conversations')).toContainText('budget talk');
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
	// Names wrap: a table's figures are within the screen, not past a card scrolled sideways.
	for (const testid of ['usage-top-conversations', 'split-model']) {
		const cost = page.getByTestId(testid).locator('tbody tr').first().locator('td').last();
		const box = (await cost.boundingBox())!;
		expect(box.x + box.width, testid).toBeLessThanOrEqual(390);
	}
	// The range shortcuts are thumb-sized.
	for (const name of ['This month', 'Last month', 'Last 30 days'])
		expect((await page.getByRole('button', { name }).boundingBox())!.height).toBeGreaterThanOrEqual(
			40
		);
	await saveScreenshot(page, 'usage');

	await page.getByTestId('chart-cost').getByRole('button', { name: 'Table' }).click();
	const table = page.getByTestId('chart-cost-table');
	await expect(table).toBeVisible();
	await expect(table.getByRole('row').filter({ hasText: '$0.850' })).toHaveCount(1);

	const from = new Date(now - 60 * DAY_MS).toISOString().slice(0, 10);
	await page.getByLabel('From', { exact: true }).fill(from);
	await page.getByLabel('Per', { exact: true }).selectOption('month');
	await page.getByRole('button', { name: 'Show' }).click();
	await expect(totals).toContainText('$2.85');
	await expect(page.getByTestId('split-model')).toContainText('claude-sonnet-4-5');

	const exported = await page.request.get(
		`/api/usage/export?format=csv&from=${from}&tz=Europe/Paris`
	);
	expect(exported.headers()['content-type']).toContain('text/csv');
	const csv = await exported.text();
	const lines = csv.trim().split('\r\n');
	expect(lines[0]).toMatch(/^time,user,conversation_id,conversation,provider,model,prompt_tokens/);
	expect(lines).toHaveLength(3);
	expect(csv).not.toContain(OTHER.username);
	expect(csv).toContain(`"'=cmd|""/c calc""!A1 budget talk about the long winter evenings"`);
	await context.close();
});

test('phone: at 100 % a new reply is refused with when the budget resets', async ({ browser }) => {
	addUsage(SPENDER.username, conversation, 0.2 * USD, Date.now());
	const context = await browser.newContext({ ...PHONE });
	const page = await context.newPage();
	await signIn(page, SPENDER.username, SPENDER.password);
	await page.goto(`/c/${conversation}`);
	await expect(page.getByTestId('budget-banner')).toContainText(
		"You have used this month's budget"
	);
	const composer = page.getByRole('textbox', { name: 'Message' });
	await composer.fill('one more, please');
	await page.getByRole('button', { name: 'Send' }).click();
	await expect(
		page.getByText(/You have used this month's budget of \$1\.00; it resets on \d{4}-\d{2}-01/)
	).toBeVisible();
	const jobs = database();
	const count = jobs
		.prepare('select count(*) as n from job where conversation_id = ?')
		.get(conversation) as { n: number };
	jobs.close();
	expect(count.n).toBe(0);
	await saveScreenshot(page, 'usage-budget-refused');
	await context.close();
});
