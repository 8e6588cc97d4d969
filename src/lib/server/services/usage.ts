// Token and cost figures for the usage page, the settings table and the chat. Costs are the ones
// stored with each usage event (priced when recorded, services/pricing.ts), so a later price change
// never moves them; sums are bucketed in SQL and folded into the user's local days here.
import type { Database } from '$lib/server/db/database';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import * as usage from '$lib/server/repos/usage';
import {
	localDayIn,
	nextDay,
	periodStart,
	startOfLocalDay
} from '$lib/server/services/usage-range';
import { cloudPrice } from '$lib/shared/prices';
import type {
	UsageFiguresDto,
	UsagePeriod,
	UsageReportDto,
	UsageSummaryDto,
	UsageTotalsDto
} from '$lib/shared/dto';

export const MAX_LOCAL_COST_PER_MILLION_USD = 1000;
export const TOP_CONVERSATIONS = 10;
const EVERYTHING = { from: 0, to: Number.MAX_SAFE_INTEGER };

function emptyTotals(): UsageTotalsDto {
	return {
		promptTokens: 0,
		completionTokens: 0,
		costMicroUsd: 0,
		unpriced: false,
		estimated: false
	};
}

function emptyFigures(): UsageFiguresDto {
	return {
		promptTokens: 0,
		completionTokens: 0,
		cachedTokens: 0,
		reasoningTokens: 0,
		costMicroUsd: 0,
		replies: 0
	};
}

function addFigures(into: UsageFiguresDto, row: usage.UsageBucketRow) {
	into.promptTokens += row.prompt;
	into.completionTokens += row.completion;
	into.cachedTokens += row.cached;
	into.reasoningTokens += row.reasoning;
	into.costMicroUsd += row.cost;
	into.replies += row.replies;
}

/** Each provider's name and whether it is local, looked up once per call. */
function providerInfo(providers: ProviderRegistry) {
	const known = new Map<string, Promise<{ name: string; local: boolean }>>();
	return (id: string) => {
		let info = known.get(id);
		if (!info) {
			info = providers.get(id).then((p) => ({
				name: p?.name ?? 'A removed provider',
				local: p?.kind === 'llamacpp'
			}));
			known.set(id, info);
		}
		return info;
	};
}

/** Totals overall, for one conversation, and by model (the settings table and the chat). */
export async function usageReport(
	db: Database,
	providers: ProviderRegistry,
	userId: number,
	options: { conversationId?: number }
): Promise<UsageReportDto> {
	const kindOf = providerInfo(providers);
	const overall = emptyTotals();
	const models = new Map<string, UsageReportDto['byModel'][number]>();
	for (const row of await usage.usageBuckets(db, { userId, ...EVERYTHING })) {
		const { name, local } = await kindOf(row.provider);
		const key = `${row.provider}/${row.model}`;
		let entry = models.get(key);
		if (!entry)
			models.set(key, (entry = { model: key, label: `${name} · ${row.model}`, ...emptyTotals() }));
		const unpriced =
			!local && row.cost === 0 && row.prompt + row.completion > 0 && !cloudPrice(row.model);
		for (const totals of [overall, entry]) {
			totals.promptTokens += row.prompt;
			totals.completionTokens += row.completion;
			totals.costMicroUsd += row.cost;
			if (row.estimated > 0) totals.estimated = true;
			if (unpriced) totals.unpriced = true;
		}
	}
	const report: UsageReportDto = {
		overall,
		byModel: [...models.values()].sort((a, b) => b.costMicroUsd - a.costMicroUsd)
	};
	if (options.conversationId !== undefined) {
		const totals = emptyTotals();
		const filter = { userId, conversationId: options.conversationId, ...EVERYTHING };
		for (const row of await usage.usageBuckets(db, filter)) {
			totals.promptTokens += row.prompt;
			totals.completionTokens += row.completion;
			totals.costMicroUsd += row.cost;
			if (row.estimated > 0) totals.estimated = true;
		}
		report.conversation = totals;
	}
	return report;
}

export interface SummaryQuery {
	/** undefined: every user (admin only; the route decides). */
	userId?: number;
	/** Local days "YYYY-MM-DD", both included. */
	from: string;
	to: string;
	tz: string;
	period: UsagePeriod;
	/** Add every user's totals (the admin's overview). */
	byUser?: boolean;
}

/** The usage page: series per local day/week/month, splits, top conversations, previous period. */
export async function usageSummary(
	db: Database,
	providers: ProviderRegistry,
	query: SummaryQuery
): Promise<UsageSummaryDto> {
	const from = startOfLocalDay(query.from, query.tz)!;
	const to = startOfLocalDay(nextDay(query.to), query.tz)!;
	const filter = { userId: query.userId, from, to };
	const rows = await usage.usageBuckets(db, filter);
	const kindOf = providerInfo(providers);

	const totals = emptyFigures();
	const series = new Map<string, { start: string } & UsageFiguresDto>();
	for (let day = query.from; day <= query.to; day = nextDay(day)) {
		const start = periodStart(day, query.period);
		if (!series.has(start)) series.set(start, { start, ...emptyFigures() });
	}
	const byModel = new Map<string, { key: string; label: string } & UsageFiguresDto>();
	const byProvider = new Map<string, { key: string; label: string } & UsageFiguresDto>();
	const byKind = new Map<string, { key: 'local' | 'cloud'; label: string } & UsageFiguresDto>();
	const dayOf = new Map<number, string>();
	const localDay = localDayIn(query.tz);
	let estimated = false;
	for (const row of rows) {
		let day = dayOf.get(row.bucket);
		if (day === undefined) {
			day = localDay(row.bucket * usage.USAGE_BUCKET_MS);
			dayOf.set(row.bucket, day);
		}
		const { name, local } = await kindOf(row.provider);
		const kind = local ? 'local' : 'cloud';
		addFigures(totals, row);
		addFigures(series.get(periodStart(day, query.period))!, row);
		const model = `${row.provider}/${row.model}`;
		for (const [map, key, label] of [
			[byModel, model, `${name} · ${row.model}`],
			[byProvider, row.provider, name],
			[byKind, kind, local ? 'Local' : 'Cloud']
		] as const) {
			let entry = map.get(key);
			if (!entry) map.set(key, (entry = { key, label, ...emptyFigures() } as never));
			addFigures(entry!, row);
		}
		if (row.estimated > 0) estimated = true;
	}

	const previous = emptyFigures();
	addFigures(previous, {
		...(await usage.usageTotals(db, { ...filter, from: from - (to - from), to: from })),
		bucket: 0,
		provider: '',
		model: '',
		estimated: 0
	});

	const byCost = <T extends UsageFiguresDto>(list: Iterable<T>) =>
		[...list].sort((a, b) => b.costMicroUsd - a.costMicroUsd);
	const summary: UsageSummaryDto = {
		from,
		to,
		tz: query.tz,
		period: query.period,
		totals,
		previous,
		series: [...series.values()],
		byModel: byCost(byModel.values()),
		byProvider: byCost(byProvider.values()),
		byKind: byCost(byKind.values()),
		topConversations: (await usage.topConversations(db, filter, TOP_CONVERSATIONS)).map((c) => ({
			id: c.conversationId,
			title: c.title,
			costMicroUsd: c.cost,
			tokens: c.tokens
		})),
		estimated
	};
	if (query.byUser)
		summary.byUser = (await usage.totalsByUser(db, filter)).map((u) => ({
			userId: u.userId,
			username: u.username,
			costMicroUsd: u.cost,
			tokens: u.tokens,
			budgetMicroUsd: u.budget
		}));
	return summary;
}
