// The text of refused messages, kept for the admin only while the "keep the text of refused
// messages" setting is on (off by default; turning it off deletes what was kept). Bounded: the
// newest POLICY_REFUSALS_PER_RULE per rule and nothing older than the retention (the sweeper
// deletes older rows); each text cut at MAX_KEPT_REFUSAL_CHARS. Refused replies are not kept.
import type { Database, Executor } from '$lib/server/db/database';
import * as repo from '$lib/server/repos/policy';
import { getSetting, putSetting } from '$lib/server/repos/settings';
import type { PolicyRefusalDto } from '$lib/shared/dto';

/** app_setting key: "true" while the text of refused messages is kept. */
export const KEEP_REFUSED_TEXT_SETTING = 'policy_keep_refused_text';
export const POLICY_REFUSALS_PER_RULE = 1_000;
export const POLICY_REFUSAL_RETENTION_MS = 30 * 86_400_000;
/** A kept text is cut to this many characters (a /v1 request may carry megabytes). */
export const MAX_KEPT_REFUSAL_CHARS = 4_000;
export const POLICY_REFUSAL_PAGE_MAX = 100;

/** Who sent a refused message, and what. */
export interface RefusedMessage {
	userId: number;
	source: 'chat' | 'api';
	text: string;
}

export async function keepsRefusedText(db: Executor): Promise<boolean> {
	return (await getSetting(db, KEEP_REFUSED_TEXT_SETTING)) === 'true';
}

/** Keeps a refused message for rule `ruleId` if the admin keeps them (in the counting transaction). */
export async function keepRefusedMessage(
	db: Executor,
	ruleId: number,
	sent: RefusedMessage,
	now: number
): Promise<void> {
	if (!(await keepsRefusedText(db))) return;
	await repo.insertPolicyRefusal(
		db,
		{
			rule_id: ruleId,
			user_id: sent.userId,
			source: sent.source,
			text: sent.text.slice(0, MAX_KEPT_REFUSAL_CHARS),
			created_at: now
		},
		POLICY_REFUSALS_PER_RULE
	);
}

/** Turns keeping refused text on or off; off deletes every text kept so far, in the same step. */
export async function setKeepRefusedText(db: Database, keep: boolean, now = Date.now()) {
	await db.transaction().execute(async (trx) => {
		await putSetting(trx, KEEP_REFUSED_TEXT_SETTING, String(keep), now);
		if (!keep) await repo.deleteAllPolicyRefusals(trx);
	});
}

/** A rule's kept texts within the retention, newest first, a page at a time (`beforeId` pages on). */
export async function listRefusedTexts(
	db: Executor,
	ruleId: number,
	page: { limit: number; beforeId: number | null },
	now = Date.now()
): Promise<
	| { ok: true; refusals: PolicyRefusalDto[]; nextBeforeId: number | null }
	| { ok: false; code: 'not_found'; message: string }
> {
	if (!(await repo.findPolicyRule(db, ruleId)))
		return { ok: false, code: 'not_found', message: 'No such rule' };
	const limit = Math.min(Math.max(1, page.limit), POLICY_REFUSAL_PAGE_MAX);
	const rows = await repo.listPolicyRefusals(
		db,
		ruleId,
		now - POLICY_REFUSAL_RETENTION_MS,
		limit + 1,
		page.beforeId
	);
	const shown = rows.slice(0, limit);
	return {
		ok: true,
		refusals: shown.map((r) => ({
			id: Number(r.id),
			username: r.username,
			source: r.source,
			text: r.text,
			createdAt: Number(r.created_at)
		})),
		nextBeforeId: rows.length > limit ? Number(shown[shown.length - 1]!.id) : null
	};
}

/** The sweeper's pass: texts past the retention. */
export function deleteExpiredRefusedTexts(db: Executor, now: number): Promise<number> {
	return repo.deletePolicyRefusalsBefore(db, now - POLICY_REFUSAL_RETENTION_MS);
}
