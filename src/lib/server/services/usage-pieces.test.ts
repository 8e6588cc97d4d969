import { describe, expect, it } from 'vitest';
import { ROLLUP_DAY_MS, ROLLUP_HOUR_MS, ROLLUP_QUARTER_MS } from '$lib/server/repos/usage-rollup';
import { exactRanges, rangesOf, rollupPieces, weightsOf } from '$lib/server/services/usage-pieces';
import { nextDay, startOfLocalDay } from '$lib/server/services/usage-range';

const Q = ROLLUP_QUARTER_MS;
const H = ROLLUP_HOUR_MS;
const D = ROLLUP_DAY_MS;

function mulberry32(seed: number) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** How many times the pieces count the quarter hour at `at` towards each period. */
function countOf(weights: ReturnType<typeof weightsOf>, at: number): Map<number, number> {
	const counts = new Map<number, number>();
	for (const [span, bucket] of [
		[Q, at],
		[H, Math.floor(at / H) * H],
		[D, Math.floor(at / D) * D]
	] as const)
		for (const { target, sign } of weights(span, bucket))
			counts.set(target, (counts.get(target) ?? 0) + sign);
	for (const [target, n] of counts) if (n === 0) counts.delete(target);
	return counts;
}

function expectExact(bounds: number[], probes: number[]) {
	const weights = weightsOf(rollupPieces(bounds));
	for (const at of probes) {
		const target = bounds.findIndex(
			(b, i) => i + 1 < bounds.length && b <= at && at < bounds[i + 1]!
		);
		expect(Object.fromEntries(countOf(weights, at)), new Date(at).toISOString()).toEqual(
			target === -1 ? {} : { [target]: 1 }
		);
	}
}

describe('reading local periods from the rollup', () => {
	it('counts every quarter hour once, in its own period, for local days in zones of every offset', () => {
		for (const tz of [
			'UTC',
			'Europe/Paris',
			'America/Los_Angeles',
			'Asia/Kolkata',
			'Asia/Kathmandu',
			'Pacific/Chatham',
			'Australia/Lord_Howe',
			'Pacific/Kiritimati'
		]) {
			const bounds: number[] = [];
			for (let day = '2026-03-20'; day <= '2026-04-08'; day = nextDay(day))
				bounds.push(startOfLocalDay(day, tz)!);
			const probes: number[] = [];
			for (let at = bounds[0]! - 2 * D; at < bounds.at(-1)! + 2 * D; at += Q) probes.push(at);
			expectExact(bounds, probes);
		}
	});

	it('counts every quarter hour once for random periods', () => {
		const rand = mulberry32(7);
		for (let round = 0; round < 200; round++) {
			const bounds = [Math.floor(rand() * 2000) * Q];
			const periods = 1 + Math.floor(rand() * 5);
			for (let i = 0; i < periods; i++)
				bounds.push(bounds.at(-1)! + (1 + Math.floor(rand() * (rand() < 0.5 ? 20 : 400))) * Q);
			const probes = Array.from(
				{ length: 300 },
				() =>
					Math.floor(bounds[0]! / Q - 200 + rand() * ((bounds.at(-1)! - bounds[0]!) / Q + 400)) * Q
			);
			expectExact(bounds, probes);
		}
	});

	it("reads a zone's day as one day row and a few hours, and a month's range mostly as days", () => {
		const day = [
			startOfLocalDay('2026-02-10', 'Europe/Paris')!,
			startOfLocalDay('2026-02-11', 'Europe/Paris')!
		];
		expect(rollupPieces(day)).toEqual([
			{ spanMs: H, from: Date.UTC(2026, 1, 9, 23), to: Date.UTC(2026, 1, 10), sign: 1, target: 0 },
			{
				spanMs: H,
				from: Date.UTC(2026, 1, 10, 23),
				to: Date.UTC(2026, 1, 11),
				sign: -1,
				target: 0
			},
			{ spanMs: D, from: Date.UTC(2026, 1, 10), to: Date.UTC(2026, 1, 11), sign: 1, target: 0 }
		]);
		expect(exactRanges(Date.UTC(2026, 0, 31, 23), Date.UTC(2026, 1, 28, 23))).toEqual([
			{ spanMs: H, from: Date.UTC(2026, 0, 31, 23), to: Date.UTC(2026, 1, 1) },
			{ spanMs: D, from: Date.UTC(2026, 1, 1), to: Date.UTC(2026, 1, 28) },
			{ spanMs: H, from: Date.UTC(2026, 1, 28), to: Date.UTC(2026, 1, 28, 23) }
		]);
		// Kolkata's day starts at 18:30 UTC: the half hours are read as quarter hours.
		expect(exactRanges(Date.UTC(2026, 1, 9, 18, 30), Date.UTC(2026, 1, 10, 18, 30))).toEqual([
			{ spanMs: Q, from: Date.UTC(2026, 1, 9, 18, 30), to: Date.UTC(2026, 1, 9, 19) },
			{ spanMs: H, from: Date.UTC(2026, 1, 9, 19), to: Date.UTC(2026, 1, 10) },
			{ spanMs: H, from: Date.UTC(2026, 1, 10), to: Date.UTC(2026, 1, 10, 18) },
			{ spanMs: Q, from: Date.UTC(2026, 1, 10, 18), to: Date.UTC(2026, 1, 10, 18, 30) }
		]);
		const month: number[] = [];
		for (let d = '2026-02-01'; d <= '2026-03-01'; d = nextDay(d))
			month.push(startOfLocalDay(d, 'Europe/Paris')!);
		const ranges = rangesOf(rollupPieces(month));
		const rows = (span: number) =>
			ranges.filter((r) => r.spanMs === span).reduce((n, r) => n + (r.to - r.from) / span, 0);
		expect(rows(Q)).toBe(0);
		expect(rows(H)).toBeLessThanOrEqual(29);
	});
});
