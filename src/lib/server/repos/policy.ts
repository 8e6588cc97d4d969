// The content policy's rules and their per-day refusal counts.
import { sql } from 'kysely';
import type { Executor } from '$lib/server/db/database';
import type { NewPolicyRule, PolicyRule, PolicyRuleUpdate } from '$lib/server/db/schema';

export function listPolicyRules(db: Executor): Promise<PolicyRule[]> {
	return db.selectFrom('policy_rule').selectAll().orderBy('id').execute();
}

export function listEnabledPolicyRules(db: Executor): Promise<PolicyRule[]> {
	return db.selectFrom('policy_rule').selectAll().where('enabled', '=', 1).orderBy('id').execute();
}

export function findPolicyRule(db: Executor, id: number): Promise<PolicyRule | undefined> {
	return db.selectFrom('policy_rule').selectAll().where('id', '=', id).executeTakeFirst();
}

export function insertPolicyRule(db: Executor, row: NewPolicyRule): Promise<PolicyRule> {
	return db.insertInto('policy_rule').values(row).returningAll().executeTakeFirstOrThrow();
}

export function updatePolicyRule(
	db: Executor,
	id: number,
	values: PolicyRuleUpdate
): Promise<PolicyRule | undefined> {
	return db
		.updateTable('policy_rule')
		.set(values)
		.where('id', '=', id)
		.returningAll()
		.executeTakeFirst();
}

export async function deletePolicyRule(db: Executor, id: number): Promise<boolean> {
	await db.deleteFrom('policy_hit').where('rule_id', '=', id).execute();
	const result = await db.deleteFrom('policy_rule').where('id', '=', id).executeTakeFirst();
	return Number(result.numDeletedRows) > 0;
}

/** One more refusal by `ruleId` on `day`. */
export async function countPolicyHit(db: Executor, ruleId: number, day: string): Promise<void> {
	await db
		.insertInto('policy_hit')
		.values({ rule_id: ruleId, day, count: 1 })
		.onConflict((oc) =>
			oc.columns(['rule_id', 'day']).doUpdateSet({ count: sql`policy_hit.count + 1` })
		)
		.execute();
}

export function listPolicyHits(
	db: Executor,
	fromDay: string
): Promise<{ rule_id: number; day: string; count: number }[]> {
	return db
		.selectFrom('policy_hit')
		.select(['rule_id', 'day', 'count'])
		.where('day', '>=', fromDay)
		.orderBy('day')
		.orderBy('rule_id')
		.execute();
}
