// The query string of the usage page and export: a range of local days in an IANA time zone and,
// for the admin only, whose usage (`user=<id>` or `user=all`). Bad input answers 400; another
// user's id from a non-admin answers 403.
import { z } from 'zod';
import type { SessionUser } from '$lib/server/auth/session';
import { errorResponse, type Parsed } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import {
	daysBetween,
	localDay,
	MAX_RANGE_DAYS,
	startOfLocalDay,
	validTimeZone
} from '$lib/server/services/usage-range';
import { MAX_BUDGET_MICRO_USD } from '$lib/server/services/budget';
import { MAX_PRICE_PER_MILLION_USD } from '$lib/server/services/pricing';
import type { UsagePeriod } from '$lib/shared/dto';

/** PUT /api/usage/budgets/…: US dollars a month; null removes the budget. */
export const BudgetBody = z
	.object({
		monthlyUsd: z
			.number()
			.min(0)
			.max(MAX_BUDGET_MICRO_USD / 1_000_000)
			.nullable()
	})
	.strict();

const usd = z.number().min(0).max(MAX_PRICE_PER_MILLION_USD);
/** POST /api/usage/prices: US dollars per million tokens. */
export const PriceBody = z
	.object({
		model: z.string().trim().min(1).max(200),
		inputPerMillion: usd,
		outputPerMillion: usd,
		cachedInputPerMillion: usd.optional(),
		cacheWritePerMillion: usd.optional(),
		/** ms since the epoch; a moment in the past counts from now (recorded costs never move). */
		effectiveFrom: z.number().int().min(0).max(8.64e15).optional()
	})
	.strict();

export interface UsageQuery {
	from: string;
	to: string;
	tz: string;
	period: UsagePeriod;
	/** undefined: every user (admin, `user=all`). */
	userId: number | undefined;
	/** The admin asked for no one in particular: include the per-user overview. */
	overview: boolean;
}

const PERIODS = ['day', 'week', 'month'] as const;
const bad = (message: string) => ({
	ok: false as const,
	response: errorResponse(400, 'invalid_request', message)
});

export function parseUsageQuery(
	url: URL,
	user: Pick<SessionUser, 'id' | 'role'>,
	now = Date.now()
): Parsed<UsageQuery> {
	const params = url.searchParams;
	const tz = validTimeZone(params.get('tz') ?? 'UTC');
	if (!tz) return bad('tz: not an IANA time zone (e.g. Europe/Paris)');
	const today = localDay(now, tz);
	const to = params.get('to') ?? today;
	const from = params.get('from') ?? `${today.slice(0, 7)}-01`;
	if (startOfLocalDay(from, tz) === null) return bad('from: a date as YYYY-MM-DD');
	if (startOfLocalDay(to, tz) === null) return bad('to: a date as YYYY-MM-DD');
	const days = daysBetween(from, to);
	if (days < 0) return bad('from: after to');
	if (days >= MAX_RANGE_DAYS) return bad(`to: at most ${MAX_RANGE_DAYS} days after from`);
	const period = params.get('period') ?? 'day';
	if (!(PERIODS as readonly string[]).includes(period)) return bad('period: day, week or month');

	const who = params.get('user');
	let userId: number | undefined = user.id;
	if (who !== null && who !== String(user.id)) {
		if (user.role !== 'admin')
			return {
				ok: false,
				response: errorResponse(403, 'forbidden', "Only the admin can see other people's usage")
			};
		if (who === 'all') userId = undefined;
		else {
			const id = parseId(who);
			if (id === null) return bad('user: a user id or "all"');
			userId = id;
		}
	}
	return {
		ok: true,
		value: {
			from,
			to,
			tz,
			period: period as UsagePeriod,
			userId,
			overview: user.role === 'admin' && who === null
		}
	};
}
