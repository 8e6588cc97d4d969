import { describe, expect, it } from 'vitest';
import { BudgetBody, parseUsageQuery, PriceBody } from '$lib/server/usage-query';

const user = { id: 2, role: 'user' as const };
const admin = { id: 1, role: 'admin' as const };
const NOW = Date.UTC(2026, 10, 29, 12);
const parse = (qs: string, who: { id: number; role: 'user' | 'admin' } = user) =>
	parseUsageQuery(new URL(`http://h/api/usage/summary?${qs}`), who, NOW);

async function status(result: ReturnType<typeof parse>) {
	if (result.ok) return 200;
	const body = (await result.response.json()) as { error: { code: string } };
	expect(body.error.code).toMatch(/^(invalid_request|forbidden)$/);
	return result.response.status;
}

describe('usage query', () => {
	it('defaults to this month so far in the asked time zone', () => {
		expect(parse('tz=Pacific/Auckland')).toMatchObject({
			ok: true,
			value: { from: '2026-11-01', to: '2026-11-30', tz: 'Pacific/Auckland', userId: 2 }
		});
	});

	it.each([
		'tz=Mars/Base',
		'tz=' + 'A'.repeat(100),
		'from=2026-02-30',
		'from=yesterday',
		'to=2026-1-1',
		'from=2026-03-01&to=2026-02-01',
		'from=2000-01-01&to=2026-01-01',
		'period=hour',
		'user=abc'
	])('%s is a 400', async (qs) => {
		expect(await status(parse(qs, admin))).toBe(400);
	});

	it("another user's usage is the admin's alone", async () => {
		expect(await status(parse('user=1'))).toBe(403);
		expect(await status(parse('user=all'))).toBe(403);
		expect(parse('user=2')).toMatchObject({ ok: true, value: { userId: 2, overview: false } });
		expect(parse('user=2', admin)).toMatchObject({ ok: true, value: { userId: 2 } });
		expect(parse('user=all', admin)).toMatchObject({ ok: true, value: { userId: undefined } });
		expect(parse('', admin)).toMatchObject({ ok: true, value: { userId: 1, overview: true } });
	});

	it('budgets and prices: negative, non-numeric and huge are refused', () => {
		for (const monthlyUsd of [-1, '10', 1e12, Number.NaN, Infinity, true])
			expect(BudgetBody.safeParse({ monthlyUsd }).success).toBe(false);
		expect(BudgetBody.safeParse({ monthlyUsd: 12.5 }).success).toBe(true);
		expect(BudgetBody.safeParse({ monthlyUsd: null }).success).toBe(true);
		for (const inputPerMillion of [-0.1, 'x', 1e9])
			expect(
				PriceBody.safeParse({ model: 'gpt-5', inputPerMillion, outputPerMillion: 1 }).success
			).toBe(false);
		expect(
			PriceBody.safeParse({ model: 'gpt-5', inputPerMillion: 1.25, outputPerMillion: 10 }).success
		).toBe(true);
	});
});
