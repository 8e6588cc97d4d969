// Calendar arithmetic in a user's time zone for the usage page: local days as "YYYY-MM-DD", the
// instant a local day starts, and the day, ISO week (from Monday) or month a moment falls in.
import type { UsagePeriod } from '$lib/shared/dto';

const DAY_MS = 86_400_000;
/** The longest range one usage query may cover. */
export const MAX_RANGE_DAYS = 3 * 366;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The canonical zone name, or null when `tz` is not an IANA time zone. */
export function validTimeZone(tz: string): string | null {
	if (tz.length > 64) return null;
	try {
		return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
	} catch {
		return null;
	}
}

function formatter(tz: string): Intl.DateTimeFormat {
	let f = formatters.get(tz);
	if (!f) {
		f = new Intl.DateTimeFormat('en-CA', {
			timeZone: tz,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			hourCycle: 'h23'
		});
		formatters.set(tz, f);
	}
	return f;
}

function parts(ms: number, tz: string) {
	const p = Object.fromEntries(
		formatter(tz)
			.formatToParts(ms)
			.map((x) => [x.type, x.value])
	);
	return { y: +p.year!, m: +p.month!, d: +p.day!, h: +p.hour!, min: +p.minute! };
}

/** The local calendar day of an instant: "YYYY-MM-DD". */
export function localDay(ms: number, tz: string): string {
	const { y, m, d } = parts(ms, tz);
	return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * A fast `localDay` for many instants in one zone: the offset is looked up once per UTC day and
 * reused when it is the same at both ends of that day (every day but a change of clocks).
 */
export function localDayIn(tz: string): (ms: number) => string {
	const days = new Map<number, number | null>();
	return (ms) => {
		const utcDay = Math.floor(ms / DAY_MS);
		let offset = days.get(utcDay);
		if (offset === undefined) {
			const start = offsetAt(utcDay * DAY_MS, tz);
			offset = start === offsetAt((utcDay + 1) * DAY_MS - 60_000, tz) ? start : null;
			days.set(utcDay, offset);
		}
		return offset === null ? localDay(ms, tz) : new Date(ms + offset).toISOString().slice(0, 10);
	};
}

/** `tz`'s offset from UTC at an instant, in ms. */
function offsetAt(ms: number, tz: string): number {
	const { y, m, d, h, min } = parts(ms, tz);
	return Date.UTC(y, m - 1, d, h, min) - Math.floor(ms / 60_000) * 60_000;
}

/** The first instant of a local day ("YYYY-MM-DD") in `tz`; null when the date is not real. */
export function startOfLocalDay(day: string, tz: string): number | null {
	const match = DATE.exec(day);
	if (!match) return null;
	const [y, m, d] = [+match[1]!, +match[2]!, +match[3]!];
	const utc = Date.UTC(y, m - 1, d);
	if (new Date(utc).toISOString().slice(0, 10) !== day) return null;
	let guess = utc - offsetAt(utc, tz);
	guess = utc - offsetAt(guess, tz);
	return guess;
}

/** The day after a "YYYY-MM-DD" day. */
export function nextDay(day: string): string {
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return new Date(Date.UTC(y, m - 1, d) + DAY_MS).toISOString().slice(0, 10);
}

/** The start ("YYYY-MM-DD") of the day, ISO week or month that a local day belongs to. */
export function periodStart(day: string, period: UsagePeriod): string {
	if (period === 'day') return day;
	if (period === 'month') return `${day.slice(0, 7)}-01`;
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	const utc = Date.UTC(y, m - 1, d);
	const sinceMonday = (new Date(utc).getUTCDay() + 6) % 7;
	return new Date(utc - sinceMonday * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
	const ms = (s: string) => Date.parse(`${s}T00:00:00Z`);
	return Math.round((ms(to) - ms(from)) / DAY_MS);
}
