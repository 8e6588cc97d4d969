// Token and cost figures for the usage page, the settings table and the chat. Costs are the ones
// stored with each usage event (priced when recorded, services/pricing.ts), so a later price change
// never moves them and the rollup never needs re-pricing. The page's sums come from the rollup
// (repos/usage-rollup.ts), read exactly per local period (services/usage-pieces.ts); one
// conversation's totals and the most expensive conversations from the sums per conversation and
// day (repos/usage-conversations.ts).
import type { Database } from '$lib/server/db/database';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import * as conversations from '$lib/server/repos/usage-conversations';
import * as rollup from '$lib/server/repos/usage-rollup';
import { exactRanges, rangesOf, rollupPieces, weightsOf } from '$lib/server/services/usage-pieces';
import { nextDay, periodStart, startOfLocalDay } from '$lib/server/services/usage-range';
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

type Sums = Omit<
	rollup.RollupRow,
	'spanMs' | 'bucketAt' | 'provider' | 'model' | 'local' | 'estimated'
>;

/** Adds `weight` times a row's sums (a rollup row may count towards a period negatively). */
function addFigures(into: UsageFiguresDto, row: Sums, weight = 1) {
	into.promptTokens += weight * row.prompt;
	into.completionTokens += weight * row.completion;
	into.cachedTokens += weight * row.cached;
	into.reasoningTokens += weight * row.reasoning;
	into.costMicroUsd += weight * row.cost;
	into.replies += weight * row.replies;
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
	const days = [{ spanMs: rollup.ROLLUP_DAY_MS, ...EVERYTHING }];
	for (const row of await rollup.rollupRows(db, userId, days)) {
		const { name } = await kindOf(row.provider);
		const local = row.local;
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
		const sums = await conversations.conversationTotals(db, userId, options.conversationId);
		report.conversation = {
			...emptyTotals(),
			promptTokens: sums.prompt,
			completionTokens: sums.completion,
			costMicroUsd: sums.cost,
			estimated: sums.estimated > 0
		};
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
	const kindOf = providerInfo(providers);

	const series: ({ start: string } & UsageFiguresDto)[] = [];
	const bounds: number[] = [];
	for (let day = query.from; day <= query.to; day = nextDay(day)) {
		const start = periodStart(day, query.period);
		if (series.at(-1)?.start === start) continue;
		series.push({ start, ...emptyFigures() });
		bounds.push(day === query.from ? from : startOfLocalDay(day, query.tz)!);
	}
	bounds.push(to);
	const pieces = rollupPieces(bounds);
	const weights = weightsOf(pieces);
	const rows = await rollup.rollupRows(db, query.userId, rangesOf(pieces));

	const totals = emptyFigures();
	const byModel = new Map<string, { key: string; label: string } & UsageFiguresDto>();
	const byProvider = new Map<string, { key: string; label: string } & UsageFiguresDto>();
	const byKind = new Map<string, { key: 'local' | 'cloud'; label: string } & UsageFiguresDto>();
	let estimated = 0;
	for (const row of rows) {
		let weight = 0;
		for (const { target, sign } of weights(row.spanMs, row.bucketAt)) {
			addFigures(series[target]!, row, sign);
			weight += sign;
		}
		if (weight === 0) continue;
		const { name } = await kindOf(row.provider);
		const kind = row.local ? 'local' : 'cloud';
		addFigures(totals, row, weight);
		estimated += weight * row.estimated;
		const model = `${row.provider}/${row.model}`;
		for (const [map, key, label] of [
			[byModel, model, `${name} · ${row.model}`],
			[byProvider, row.provider, name],
			[byKind, kind, row.local ? 'Local' : 'Cloud']
		] as const) {
			let entry = map.get(key);
			if (!entry) map.set(key, (entry = { key, label, ...emptyFigures() } as never));
			addFigures(entry!, row, weight);
		}
	}

	const previous = emptyFigures();
	addFigures(
		previous,
		await rollup.rollupTotals(db, query.userId, exactRanges(from - (to - from), from))
	);

	// A row read only to be taken off again (its replies fall outside the range) leaves an entry
	// of zeros behind.
	const byCost = <T extends UsageFiguresDto>(list: Iterable<T>) =>
		[...list].filter((e) => e.replies > 0).sort((a, b) => b.costMicroUsd - a.costMicroUsd);
	const summary: UsageSummaryDto = {
		from,
		to,
		tz: query.tz,
		period: query.period,
		totals,
		previous,
		series,
		byModel: byCost(byModel.values()),
		byProvider: byCost(byProvider.values()),
		byKind: byCost(byKind.values()),
		topConversations: (await conversations.topConversations(db, filter, TOP_CONVERSATIONS)).map(
			(c) => ({
				id: c.conversationId,
				title: c.title,
				costMicroUsd: c.cost,
				tokens: c.tokens
			})
		),
		estimated: estimated > 0
	};
	if (query.byUser)
		summary.byUser = (await rollup.totalsByUser(db, exactRanges(from, to))).map((u) => ({
			userId: u.userId,
			username: u.username,
			costMicroUsd: u.cost,
			tokens: u.tokens,
			budgetMicroUsd: u.budget
		}));
	return summary;
}
