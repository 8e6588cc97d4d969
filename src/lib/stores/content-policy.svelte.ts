// The admin's content-policy rules and their refusal counts per day.
import { api } from '$lib/client/api';
import type { PolicyHitDto, PolicyRuleDto, PolicyRuleKindDto } from '$lib/shared/dto';

export interface PolicyRuleInput {
	name: string;
	kind: PolicyRuleKindDto;
	pattern: string;
	message: string;
	failClosed?: boolean;
	screenReplies?: boolean;
}

class ContentPolicyStore {
	rules = $state<PolicyRuleDto[] | null>(null);
	counts = $state<PolicyHitDto[]>([]);

	async load() {
		const got = await api<{ rules: PolicyRuleDto[]; counts: PolicyHitDto[] }>(
			'GET',
			'/api/admin/policy/rules'
		);
		this.rules = got.rules;
		this.counts = got.counts;
	}

	async add(input: PolicyRuleInput) {
		await api('POST', '/api/admin/policy/rules', input);
		await this.load();
	}

	async setEnabled(id: number, enabled: boolean) {
		await api('PATCH', `/api/admin/policy/rules/${id}`, { enabled });
		await this.load();
	}

	async remove(id: number) {
		await api('DELETE', `/api/admin/policy/rules/${id}`);
		await this.load();
	}

	/** Refusals by `ruleId` over the days the counts cover. */
	total(ruleId: number): number {
		return this.counts.filter((c) => c.ruleId === ruleId).reduce((n, c) => n + c.count, 0);
	}
}

export const contentPolicyStore = new ContentPolicyStore();
