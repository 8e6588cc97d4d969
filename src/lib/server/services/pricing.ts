// The price of a reply, fixed when its usage is recorded: the admin's override in force at that
// moment, else the built-in list price; local models cost the user's own rate. Stored costs never
// move when a price changes later.
import type { Executor } from '$lib/server/db/database';
import type { ModelPrice } from '$lib/server/db/schema';
import * as usage from '$lib/server/repos/usage';
import { getUserSettings } from '$lib/server/services/user-settings';
import { cloudPrice, costMicroUsd, priceKey, type Price } from '$lib/shared/prices';
import type { ModelPriceDto } from '$lib/shared/dto';

/** An admin's price above this (USD per million tokens) is a typo, not a price. */
export const MAX_PRICE_PER_MILLION_USD = 10_000;
const MICRO = 1_000_000;

export interface RecordedUsage {
	promptTokens: number;
	completionTokens: number;
	cachedTokens?: number;
	cacheWriteTokens?: number;
	reasoningTokens?: number;
	estimated?: boolean;
	/** Served by a local model (llama.cpp): priced at the user's own rate. */
	local?: boolean;
}

export interface UsageContext {
	userId: number;
	conversationId: number | null;
	messageId: number | null;
	jobId: number | null;
	provider: string;
	model: string;
	source?: 'chat' | 'api';
	apiTokenId?: number | null;
	/** The key's name as it is now (kept on the event, readable after a rename or revocation). */
	apiKeyName?: string | null;
}

function fromRow(row: ModelPrice): Price {
	return {
		inputPerMillion: Number(row.input_micro_usd) / MICRO,
		cachedInputPerMillion: Number(row.cached_input_micro_usd) / MICRO,
		cacheWritePerMillion: Number(row.cache_write_micro_usd) / MICRO,
		outputPerMillion: Number(row.output_micro_usd) / MICRO
	};
}

export async function priceAt(db: Executor, model: string, at: number): Promise<Price | null> {
	const override = await usage.findModelPrice(db, priceKey(model), at);
	return override ? fromRow(override) : cloudPrice(model);
}

/** Writes one usage event with its cost at the price in force now (inside the caller's transaction). */
export async function recordUsage(
	trx: Executor,
	context: UsageContext,
	counts: RecordedUsage,
	now: number
): Promise<void> {
	let price: Price | null;
	if (counts.local) {
		const rate = (await getUserSettings(trx, context.userId)).localCostPerMillionUsd ?? 0;
		price = { inputPerMillion: rate, outputPerMillion: rate };
	} else price = await priceAt(trx, context.model, now);
	const cost = price
		? costMicroUsd(price, {
				prompt: counts.promptTokens,
				completion: counts.completionTokens,
				cached: counts.cachedTokens,
				cacheWrite: counts.cacheWriteTokens
			})
		: 0;
	await usage.insertUsageEvent(
		trx,
		{
			user_id: context.userId,
			conversation_id: context.conversationId,
			message_id: context.messageId,
			job_id: context.jobId,
			api_token_id: context.apiTokenId ?? null,
			api_key_name: context.apiKeyName ?? null,
			source: context.source ?? 'chat',
			provider: context.provider,
			model: context.model,
			prompt_tokens: counts.promptTokens,
			completion_tokens: counts.completionTokens,
			cached_tokens: counts.cachedTokens ?? 0,
			cache_write_tokens: counts.cacheWriteTokens ?? 0,
			reasoning_tokens: counts.reasoningTokens ?? 0,
			cost_micro_usd: cost,
			estimated: counts.estimated ? 1 : 0,
			created_at: now
		},
		counts.local ?? false
	);
}

export interface PriceInput {
	model: string;
	inputPerMillion: number;
	outputPerMillion: number;
	cachedInputPerMillion?: number;
	cacheWritePerMillion?: number;
	/** Default: now. A date in the past would re-price nothing already recorded. */
	effectiveFrom?: number;
}

const toMicro = (usdPerMillion: number) => Math.round(usdPerMillion * MICRO);

/** The admin sets a model's price from a moment on (now by default; never earlier than now). */
export async function setModelPrice(
	db: Executor,
	adminId: number,
	input: PriceInput,
	now: number
): Promise<ModelPriceDto> {
	const row = await usage.insertModelPrice(db, {
		model: priceKey(input.model),
		input_micro_usd: toMicro(input.inputPerMillion),
		cached_input_micro_usd: toMicro(input.cachedInputPerMillion ?? input.inputPerMillion),
		cache_write_micro_usd: toMicro(input.cacheWritePerMillion ?? input.inputPerMillion),
		output_micro_usd: toMicro(input.outputPerMillion),
		effective_from: Math.max(now, input.effectiveFrom ?? now),
		created_by: adminId,
		created_at: now
	});
	return toPriceDto(row);
}

function toPriceDto(row: ModelPrice): ModelPriceDto {
	return {
		model: row.model,
		effectiveFrom: Number(row.effective_from),
		...fromRow(row)
	} as ModelPriceDto;
}

export async function listModelPrices(db: Executor): Promise<ModelPriceDto[]> {
	return (await usage.listModelPrices(db)).map(toPriceDto);
}
