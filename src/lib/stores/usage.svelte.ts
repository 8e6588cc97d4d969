// The usage page's figures and the chat's budget line: the only fetchers of /api/usage/summary,
// /api/usage/budget and the admin's budget and price endpoints.
import { api, ApiError } from '$lib/client/api';
import type { BudgetStatusDto, ModelPriceDto, UsagePeriod, UsageSummaryDto } from '$lib/shared/dto';

export interface UsageRange {
	from: string;
	to: string;
	period: UsagePeriod;
	/** undefined: the signed-in user's own (the admin: plus everyone's totals). */
	user?: string;
}

export function browserTimeZone(): string {
	return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function query(range: UsageRange): string {
	return new URLSearchParams({
		from: range.from,
		to: range.to,
		period: range.period,
		tz: browserTimeZone(),
		...(range.user ? { user: range.user } : {})
	}).toString();
}

class UsageStore {
	summary = $state<UsageSummaryDto | null>(null);
	budget = $state<BudgetStatusDto | null>(null);
	prices = $state<ModelPriceDto[]>([]);
	error = $state<string | null>(null);
	loading = $state(false);

	exportUrl(range: UsageRange, format: 'csv' | 'json'): string {
		return `/api/usage/export?format=${format}&${query(range)}`;
	}

	async load(range: UsageRange) {
		this.loading = true;
		try {
			this.summary = await api<UsageSummaryDto>('GET', `/api/usage/summary?${query(range)}`);
			this.error = null;
		} catch (error) {
			this.error = error instanceof ApiError ? error.message : 'Could not load usage';
		} finally {
			this.loading = false;
		}
	}

	async loadBudget() {
		try {
			this.budget = await api<BudgetStatusDto>('GET', '/api/usage/budget');
		} catch {
			// Offline: the line keeps its last figures.
		}
	}

	/** Admin: a user's budget ("default" for new accounts); null removes it. */
	async setBudget(target: number | 'default', monthlyUsd: number | null) {
		await api('PUT', `/api/usage/budgets/${target}`, { monthlyUsd });
	}

	async loadPrices() {
		this.prices = await api<ModelPriceDto[]>('GET', '/api/usage/prices');
	}

	async setPrice(price: {
		model: string;
		inputPerMillion: number;
		outputPerMillion: number;
		cachedInputPerMillion?: number;
	}) {
		await api('POST', '/api/usage/prices', price);
		await this.loadPrices();
	}
}

export const usageStore = new UsageStore();
