import { describe, expect, it } from 'vitest';
import {
	localDay,
	localDayIn,
	periodStart,
	startOfLocalDay
} from '$lib/server/services/usage-range';

const QUARTER_HOUR_MS = 15 * 60_000;

describe('local days', () => {
	it.each(['Europe/Paris', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Chatham', 'UTC'])(
		'%s: the fast path agrees with Intl every 15 minutes across a change of clocks',
		(tz) => {
			const fast = localDayIn(tz);
			for (let ms = Date.UTC(2026, 2, 26); ms < Date.UTC(2026, 3, 8); ms += QUARTER_HOUR_MS)
				expect(fast(ms)).toBe(localDay(ms, tz));
		}
	);

	it('a local day starts at local midnight, on both sides of a change of clocks', () => {
		expect(startOfLocalDay('2026-03-29', 'Europe/Paris')).toBe(Date.UTC(2026, 2, 28, 23));
		expect(startOfLocalDay('2026-03-30', 'Europe/Paris')).toBe(Date.UTC(2026, 2, 29, 22));
		expect(startOfLocalDay('2026-01-01', 'Asia/Kathmandu')).toBe(Date.UTC(2025, 11, 31, 18, 15));
		expect(startOfLocalDay('2026-02-29', 'UTC')).toBeNull();
	});

	it('weeks start on Monday, months on the 1st', () => {
		expect(periodStart('2026-03-01', 'week')).toBe('2026-02-23');
		expect(periodStart('2026-03-02', 'week')).toBe('2026-03-02');
		expect(periodStart('2026-03-31', 'month')).toBe('2026-03-01');
	});
});
