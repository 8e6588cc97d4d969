// Token and cost totals for a user: overall, for one conversation and by model. Costs are
// estimated when read, from shared/prices.ts for cloud models and the user's own rate for
// local ones (llama.cpp), so a changed rate applies to the whole history.
import type { Database } from '$lib/server/db/database';
import type { ProviderRegistry } from '$lib/server/llm/registry';
import { cloudPrice, costMicroUsd, type Price } from '$lib/shared/prices';
import type { UsageReportDto, UsageTotalsDto } from '$lib/shared/dto';

export const MAX_LOCAL_COST_PER_MILLION_USD = 1000;

interface UsageGroup {
	provider: string;
	model: string;
	prompt: number;
	completion: number;
	estimated: number;
}

function groups(db: Database, userId: number, conversationId?: number): Promise<UsageGroup[]> {
	let query = db
		.selectFrom('usage_event')
		.select(({ fn }) => [
			'provider',
			'model',
			fn.sum<number>('prompt_tokens').as('prompt'),
			fn.sum<number>('completion_tokens').as('completion'),
			fn.max<number>('estimated').as('estimated')
		])
		.where('user_id', '=', userId);
	if (conversationId !== undefined) query = query.where('conversation_id', '=', conversationId);
	return query.groupBy(['provider', 'model']).execute();
}

function emptyTotals(): UsageTotalsDto {
	return {
		promptTokens: 0,
		completionTokens: 0,
		costMicroUsd: 0,
		unpriced: false,
		estimated: false
	};
}

export async function usageReport(
	db: Database,
	providers: ProviderRegistry,
	userId: number,
	options: { conversationId?: number; localCostPerMillionUsd?: number }
): Promise<UsageReportDto> {
	const local = options.localCostPerMillionUsd ?? 0;
	const localPrice: Price = { inputPerMillion: local, outputPerMillion: local };
	const priceOf = async (provider: string, model: string): Promise<Price | null> =>
		(await providers.get(provider))?.kind === 'llamacpp' ? localPrice : cloudPrice(model);

	const add = async (totals: UsageTotalsDto, g: UsageGroup) => {
		const prompt = Number(g.prompt);
		const completion = Number(g.completion);
		totals.promptTokens += prompt;
		totals.completionTokens += completion;
		if (Number(g.estimated) > 0) totals.estimated = true;
		const price = await priceOf(g.provider, g.model);
		if (price) totals.costMicroUsd += costMicroUsd(price, prompt, completion);
		else totals.unpriced = true;
	};

	const overall = emptyTotals();
	const byModel: UsageReportDto['byModel'] = [];
	for (const g of await groups(db, userId)) {
		await add(overall, g);
		const name = (await providers.get(g.provider))?.name ?? 'A removed provider';
		const row = {
			model: `${g.provider}/${g.model}`,
			label: `${name} · ${g.model}`,
			...emptyTotals()
		};
		await add(row, g);
		byModel.push(row);
	}
	const report: UsageReportDto = {
		overall,
		byModel: byModel.sort((a, b) => b.costMicroUsd - a.costMicroUsd)
	};
	if (options.conversationId !== undefined) {
		report.conversation = emptyTotals();
		for (const g of await groups(db, userId, options.conversationId))
			await add(report.conversation, g);
	}
	return report;
}
