// The content policy's rules, their per-day refusal counts and the refused texts kept (if the
// admin keeps them).
import { sql } from 'kysely';
import type { Executor } from '$lib/server/db/database';
import type {
	NewPolicyRefusal,
	NewPolicyRule,
	PolicyRefusal,
	PolicyRule,
	PolicyRuleUpdate
} from '$lib/server/db/schema';

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
	await db.deleteFrom('policy_refusal').where('rule_id', '=', id).execute();
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

/** Keeps one refused text, then drops the rule's rows beyond its newest `keep`. */
export async function insertPolicyRefusal(
	db: Executor,
	row: NewPolicyRefusal,
	keep: number
): Promise<void> {
	await db.insertInto('policy_refusal').values(row).execute();
	await db
		.deleteFrom('policy_refusal')
		.where('rule_id', '=', row.rule_id)
		.where('id', '<=', (eb) =>
			eb
				.selectFrom('policy_refusal')
				.select('id')
				.where('rule_id', '=', row.rule_id)
				.orderBy('id', 'desc')
				.limit(1)
				.offset(keep)
		)
		.execute();
}

/** A rule's kept texts since `from`, newest first, with their senders; `beforeId` pages on. */
export function listPolicyRefusals(
	db: Executor,
	ruleId: number,
	from: number,
	limit: number,
	beforeId: number | null
): Promise<(PolicyRefusal & { username: string })[]> {
	let query = db
		.selectFrom('policy_refusal as r')
		.innerJoin('user as u', 'u.id', 'r.user_id')
		.selectAll('r')
		.select('u.username')
		.where('r.rule_id', '=', ruleId)
		.where('r.created_at', '>=', from);
	if (beforeId !== null) query = query.where('r.id', '<', beforeId);
	return query.orderBy('r.id', 'desc').limit(limit).execute();
}

export async function deleteAllPolicyRefusals(db: Executor): Promise<number> {
	const result = await db.deleteFrom('policy_refusal').executeTakeFirst();
	return Number(result.numDeletedRows);
}

export async function deletePolicyRefusalsBefore(db: Executor, before: number): Promise<number> {
	const result = await db
		.deleteFrom('policy_refusal')
		.where('created_at', '<', before)
		.executeTakeFirst();
	return Number(result.numDeletedRows);
}
