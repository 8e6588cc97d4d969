// The admin's content-policy rules, their refusal counts per day, the "keep the text of refused
// messages" setting and, per rule, the refused texts kept (loaded when the admin opens them).
import { api } from '$lib/client/api';
import type {
	PolicyHitDto,
	PolicyRefusalDto,
	PolicyRuleDto,
	PolicyRuleKindDto
} from '$lib/shared/dto';

export interface PolicyRuleInput {
	name: string;
	kind: PolicyRuleKindDto;
	pattern: string;
	message: string;
	failClosed?: boolean;
	screenReplies?: boolean;
}

/** A rule's kept texts loaded so far; `nextBeforeId` is null once the last page is in. */
export interface RefusedTexts {
	items: PolicyRefusalDto[];
	nextBeforeId: number | null;
}

const REFUSALS_PAGE = 20;

class ContentPolicyStore {
	rules = $state<PolicyRuleDto[] | null>(null);
	counts = $state<PolicyHitDto[]>([]);
	keepRefusedText = $state(false);
	refused = $state<Record<number, RefusedTexts>>({});

	async load() {
		const got = await api<{
			rules: PolicyRuleDto[];
			counts: PolicyHitDto[];
			keepRefusedText: boolean;
		}>('GET', '/api/admin/policy/rules');
		this.rules = got.rules;
		this.counts = got.counts;
		this.keepRefusedText = got.keepRefusedText;
	}

	/** Off deletes every kept text on the server; the lists shown here go with them. */
	async setKeepRefusedText(keep: boolean) {
		const got = await api<{ keepRefusedText: boolean }>('PUT', '/api/admin/policy/settings', {
			keepRefusedText: keep
		});
		this.keepRefusedText = got.keepRefusedText;
		if (!got.keepRefusedText) this.refused = {};
	}

	/** The rule's newest kept texts, or (`more`) the next page after those loaded. */
	async loadRefused(ruleId: number, more = false) {
		const loaded = more ? this.refused[ruleId] : undefined;
		const before = loaded?.nextBeforeId ? `&before=${loaded.nextBeforeId}` : '';
		const got = await api<{ refusals: PolicyRefusalDto[]; nextBeforeId: number | null }>(
			'GET',
			`/api/admin/policy/rules/${ruleId}/refusals?limit=${REFUSALS_PAGE}${before}`
		);
		this.refused[ruleId] = {
			items: [...(loaded?.items ?? []), ...got.refusals],
			nextBeforeId: got.nextBeforeId
		};
	}

	hideRefused(ruleId: number) {
		delete this.refused[ruleId];
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
