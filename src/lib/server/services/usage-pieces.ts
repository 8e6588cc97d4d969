// How a run of local periods (days, weeks or months in a time zone) is read exactly from the usage
// rollup: each period [start, end) becomes rollup rows to add or subtract. A period's edges that
// fall inside a UTC day are read as hour rows (quarter-hour rows for the odd quarters), from
// whichever side of the edge is shorter: Paris's day (23:00–23:00 UTC) is the UTC day, minus its
// last hour, plus the day before's last hour, so a month reads about one day row and two hour
// rows per day and cell; Kolkata's (18:30) five hour and two quarter rows.
import {
	ROLLUP_DAY_MS,
	ROLLUP_HOUR_MS,
	ROLLUP_QUARTER_MS,
	type RollupRange
} from '$lib/server/repos/usage-rollup';

export interface RollupPiece extends RollupRange {
	sign: 1 | -1;
	/** Index of the period the piece counts towards. */
	target: number;
}

/** Rounds down to the quarter hour (only zones' offsets before ~1980 are not quarter hours). */
const quarter = (ms: number) => Math.floor(ms / ROLLUP_QUARTER_MS) * ROLLUP_QUARTER_MS;

function piece(spanMs: number, from: number, to: number, sign: 1 | -1, target: number) {
	return from < to ? [{ spanMs, from, to, sign, target }] : [];
}

/** [from, to) (on quarter hours) as hour rows, with quarter-hour rows at its uneven ends. */
function edge(from: number, to: number, sign: 1 | -1, target: number): RollupPiece[] {
	const H = ROLLUP_HOUR_MS;
	const Q = ROLLUP_QUARTER_MS;
	const hoursFrom = Math.ceil(from / H) * H;
	const hoursTo = Math.floor(to / H) * H;
	if (hoursFrom >= hoursTo) return piece(Q, from, to, sign, target);
	return [
		...piece(Q, from, hoursFrom, sign, target),
		...piece(H, hoursFrom, hoursTo, sign, target),
		...piece(Q, hoursTo, to, sign, target)
	];
}

/** The pieces of the periods between consecutive `bounds` (period i is bounds[i]..bounds[i+1]). */
export function rollupPieces(bounds: number[]): RollupPiece[] {
	const pieces: RollupPiece[] = [];
	const D = ROLLUP_DAY_MS;
	for (let target = 0; target + 1 < bounds.length; target++) {
		const start = quarter(bounds[target]!);
		const end = quarter(bounds[target + 1]!);
		let daysFrom = Math.ceil(start / D) * D;
		let daysTo = Math.floor(end / D) * D;
		if (daysFrom > daysTo) {
			pieces.push(...edge(start, end, 1, target));
			continue;
		}
		if (daysFrom - start > D / 2) {
			daysFrom -= D;
			pieces.push(...edge(daysFrom, start, -1, target));
		} else pieces.push(...edge(start, daysFrom, 1, target));
		if (end - daysTo > D / 2) {
			daysTo += D;
			pieces.push(...edge(end, daysTo, -1, target));
		} else pieces.push(...edge(daysTo, end, 1, target));
		pieces.push(...piece(D, daysFrom, daysTo, 1, target));
	}
	return pieces;
}

/** One range [from, to) as rollup ranges that add up to it: days inside, hours and quarters at the edges. */
export function exactRanges(from: number, to: number): RollupRange[] {
	const D = ROLLUP_DAY_MS;
	const start = quarter(from);
	const end = quarter(to);
	const daysFrom = Math.ceil(start / D) * D;
	const daysTo = Math.floor(end / D) * D;
	const pieces =
		daysFrom > daysTo
			? edge(start, end, 1, 0)
			: [
					...edge(start, daysFrom, 1, 0),
					...piece(D, daysFrom, daysTo, 1, 0),
					...edge(daysTo, end, 1, 0)
				];
	return pieces.map(({ spanMs, from, to }) => ({ spanMs, from, to }));
}

/** The ranges to read for these pieces: per span, overlapping and touching ranges merged. */
export function rangesOf(pieces: RollupPiece[]): RollupRange[] {
	const sorted = [...pieces].sort((a, b) => a.spanMs - b.spanMs || a.from - b.from);
	const ranges: RollupRange[] = [];
	for (const { spanMs, from, to } of sorted) {
		const last = ranges.at(-1);
		if (last && last.spanMs === spanMs && from <= last.to) last.to = Math.max(last.to, to);
		else ranges.push({ spanMs, from, to });
	}
	return ranges;
}

/** For each rollup row (span and bucket), the periods it counts towards and with which sign. */
export function weightsOf(pieces: RollupPiece[]) {
	const weights = new Map<string, { target: number; sign: 1 | -1 }[]>();
	for (const p of pieces)
		for (let at = p.from; at < p.to; at += p.spanMs) {
			const key = `${p.spanMs}:${at}`;
			let list = weights.get(key);
			if (!list) weights.set(key, (list = []));
			list.push({ target: p.target, sign: p.sign });
		}
	return (spanMs: number, bucketAt: number) => weights.get(`${spanMs}:${bucketAt}`) ?? [];
}
