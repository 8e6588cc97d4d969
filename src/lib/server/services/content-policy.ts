// The content policy (admin): keyword-list, regex and guard-model rules, each with its own refusal
// message, screened against what users send through the chat and /v1 and, per rule, against
// finished replies. Keyword and regex rules are tried first (cheap), guard models only on text they
// let through. A refusal counts one hit for its rule on that UTC day; the text of a refused user
// message is kept (with its sender) only while the admin's "keep refused text" setting is on.
import type { Executor } from '$lib/server/db/database';
import type { PolicyRule } from '$lib/server/db/schema';
import type { ChatMessage } from '$lib/server/llm/types';
import { getLogger } from '$lib/server/log';
import * as repo from '$lib/server/repos/policy';
import { askGuardModel, type GuardContext } from '$lib/server/services/guard-model';
import { keepRefusedMessage, type RefusedMessage } from '$lib/server/services/policy-refusals';
import type { PolicyHitDto, PolicyRuleDto, PolicyRuleKindDto } from '$lib/shared/dto';

export const MAX_POLICY_NAME_CHARS = 100;
export const MAX_POLICY_MESSAGE_CHARS = 2_000;
export const MAX_POLICY_REGEX_CHARS = 500;
export const MAX_POLICY_KEYWORDS = 500;
export const MAX_POLICY_KEYWORD_CHARS = 200;
export const MAX_POLICY_MODEL_CHARS = 300;
/** How far back the admin's counts go by default. */
export const POLICY_COUNT_DAYS = 30;
const DAY_MS = 86_400_000;

export interface PolicyRuleInput {
	name: string;
	kind: PolicyRuleKindDto;
	pattern: string;
	message: string;
	enabled?: boolean;
	failClosed?: boolean;
	screenReplies?: boolean;
}

type Fail<C extends string> = { ok: false; code: C; message: string };
const invalid = (message: string): Fail<'invalid'> => ({ ok: false, code: 'invalid', message });

export interface Refusal {
	ruleId: number;
	message: string;
}

function toDto(row: PolicyRule): PolicyRuleDto {
	return {
		id: Number(row.id),
		name: row.name,
		kind: row.kind,
		pattern: row.pattern,
		message: row.message,
		enabled: row.enabled === 1,
		failClosed: row.fail_closed === 1,
		screenReplies: row.screen_replies === 1
	};
}

function keywordsOf(pattern: string): string[] {
	return pattern
		.split('\n')
		.map((k) => k.trim().toLowerCase())
		.filter(Boolean);
}

/**
 * True when a quantified group itself contains an unbounded quantifier — `(a+)+`, `(\w*)*`,
 * `(x+){2,}` — the shape behind catastrophic backtracking. Without re2 there is no time limit on a
 * match, so such patterns are refused up front.
 */
export function hasNestedQuantifier(source: string): boolean {
	const stack: boolean[] = [];
	let inClass = false;
	for (let i = 0; i < source.length; i++) {
		const c = source[i];
		if (c === '\\') {
			i++;
			continue;
		}
		if (inClass) {
			if (c === ']') inClass = false;
			continue;
		}
		if (c === '[') inClass = true;
		else if (c === '(') stack.push(false);
		else if (c === ')') {
			const innerUnbounded = stack.pop() ?? false;
			const next = source[i + 1];
			const quantified = next === '*' || next === '+' || next === '{';
			if (innerUnbounded && quantified) return true;
			if (innerUnbounded && stack.length > 0) stack[stack.length - 1] = true;
			if (quantified && stack.length > 0) stack[stack.length - 1] = true;
		} else if (
			(c === '*' || c === '+' || (c === '{' && /^\{\d+,\d*\}/.test(source.slice(i)))) &&
			stack.length > 0
		)
			stack[stack.length - 1] = true;
	}
	return false;
}

function compileRegex(pattern: string): RegExp | null {
	try {
		return new RegExp(pattern, 'iu');
	} catch {
		return null;
	}
}

type Checked = { ok: true; values: Omit<PolicyRule, 'id' | 'created_at' | 'updated_at'> };

function checked(input: PolicyRuleInput): Checked | Fail<'invalid'> {
	const name = input.name.trim();
	if (!name || name.length > MAX_POLICY_NAME_CHARS)
		return invalid(`name: 1 to ${MAX_POLICY_NAME_CHARS} characters`);
	const message = input.message.trim();
	if (!message || message.length > MAX_POLICY_MESSAGE_CHARS)
		return invalid(`message: 1 to ${MAX_POLICY_MESSAGE_CHARS} characters`);
	let pattern: string;
	if (input.kind === 'keyword') {
		const keywords = keywordsOf(input.pattern);
		if (keywords.length === 0 || keywords.length > MAX_POLICY_KEYWORDS)
			return invalid(`pattern: 1 to ${MAX_POLICY_KEYWORDS} keywords, one per line`);
		if (keywords.some((k) => k.length > MAX_POLICY_KEYWORD_CHARS))
			return invalid(`pattern: a keyword is at most ${MAX_POLICY_KEYWORD_CHARS} characters`);
		pattern = input.pattern
			.split('\n')
			.map((k) => k.trim())
			.filter(Boolean)
			.join('\n');
	} else if (input.kind === 'guard') {
		pattern = input.pattern.trim();
		if (!pattern || pattern.length > MAX_POLICY_MODEL_CHARS || /\s/.test(pattern))
			return invalid('pattern: the guard model as "provider/model" or an alias name');
	} else {
		pattern = input.pattern;
		if (!pattern || pattern.length > MAX_POLICY_REGEX_CHARS)
			return invalid(`pattern: 1 to ${MAX_POLICY_REGEX_CHARS} characters`);
		if (!compileRegex(pattern)) return invalid('pattern: not a valid regular expression');
		if (hasNestedQuantifier(pattern))
			return invalid(
				'pattern: nested quantifiers such as (a+)+ can take forever to match; rewrite without them'
			);
	}
	return {
		ok: true,
		values: {
			name,
			kind: input.kind,
			pattern,
			message,
			enabled: input.enabled === false ? 0 : 1,
			fail_closed: input.kind === 'guard' && input.failClosed === true ? 1 : 0,
			screen_replies: input.screenReplies === true ? 1 : 0
		}
	};
}

export async function listPolicyRules(db: Executor): Promise<PolicyRuleDto[]> {
	return (await repo.listPolicyRules(db)).map(toDto);
}

export async function createPolicyRule(
	db: Executor,
	input: PolicyRuleInput,
	now = Date.now()
): Promise<{ ok: true; rule: PolicyRuleDto } | Fail<'invalid'>> {
	const check = checked(input);
	if (!check.ok) return check;
	const row = await repo.insertPolicyRule(db, {
		...check.values,
		created_at: now,
		updated_at: now
	});
	return { ok: true, rule: toDto(row) };
}

/** Changes the fields given; the result is checked as a whole. */
export async function updatePolicyRule(
	db: Executor,
	id: number,
	patch: Partial<PolicyRuleInput>,
	now = Date.now()
): Promise<{ ok: true; rule: PolicyRuleDto } | Fail<'invalid' | 'not_found'>> {
	const existing = await repo.findPolicyRule(db, id);
	if (!existing) return { ok: false, code: 'not_found', message: 'No such rule' };
	const check = checked({ ...toDto(existing), ...patch });
	if (!check.ok) return check;
	const row = await repo.updatePolicyRule(db, id, { ...check.values, updated_at: now });
	return row
		? { ok: true, rule: toDto(row) }
		: { ok: false, code: 'not_found', message: 'No such rule' };
}

export async function deletePolicyRule(
	db: Executor,
	id: number
): Promise<{ ok: true } | Fail<'not_found'>> {
	return (await repo.deletePolicyRule(db, id))
		? { ok: true }
		: { ok: false, code: 'not_found', message: 'No such rule' };
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function matches(rule: PolicyRule, lowered: string, text: string): boolean {
	if (rule.kind === 'keyword') return keywordsOf(rule.pattern).some((k) => lowered.includes(k));
	return compileRegex(rule.pattern)?.test(text) ?? false;
}

/** What is screened: text a user sends, or a finished reply with the text it answers. */
export type Screened =
	{ kind: 'prompt'; text: string } | { kind: 'reply'; prompt: string; reply: string };

const refusalOf = (rule: PolicyRule): Refusal => ({
	ruleId: Number(rule.id),
	message: rule.message
});

/**
 * The first enabled rule the subject breaks, not yet counted (see `countRefusal`); null lets it
 * through. Guard rules need `guard` (a model call, up to its timeout: call outside a transaction);
 * without one, or when the model gives no verdict, the rule's fail-open/fail-closed choice decides.
 */
export async function judgeText(
	db: Executor,
	subject: Screened,
	guard?: GuardContext
): Promise<Refusal | null> {
	const text = subject.kind === 'prompt' ? subject.text : subject.reply;
	if (!text) return null;
	let rules = await repo.listEnabledPolicyRules(db);
	if (subject.kind === 'reply') rules = rules.filter((r) => r.screen_replies === 1);
	if (rules.length === 0) return null;
	const lowered = text.toLowerCase();
	const matched = rules.find((r) => r.kind !== 'guard' && matches(r, lowered, text));
	if (matched) return refusalOf(matched);
	const turns: ChatMessage[] =
		subject.kind === 'prompt'
			? [{ role: 'user', content: subject.text }]
			: [
					{ role: 'user', content: subject.prompt },
					{ role: 'assistant', content: subject.reply }
				];
	for (const rule of rules.filter((r) => r.kind === 'guard')) {
		const verdict = guard
			? await askGuardModel(guard, rule.pattern, turns)
			: { verdict: 'none' as const, reason: 'not asked here' };
		if (verdict.verdict === 'unsafe') return refusalOf(rule);
		if (verdict.verdict === 'none') {
			getLogger().warn(
				{ rule: rule.name, reason: verdict.reason, failClosed: rule.fail_closed === 1 },
				'guard model gave no verdict'
			);
			if (rule.fail_closed === 1) return refusalOf(rule);
		}
	}
	return null;
}

/** Whether any enabled rule screens replies (then /v1 holds a reply back until it is screened). */
export async function screensReplies(db: Executor): Promise<boolean> {
	return (await repo.listEnabledPolicyRules(db)).some((r) => r.screen_replies === 1);
}

/**
 * One hit for the refusal's rule today (inside the transaction that acts on it, where there is
 * one), and the refused message's text when the admin keeps it.
 */
export async function countRefusal(
	db: Executor,
	refusal: Refusal,
	now = Date.now(),
	sent?: RefusedMessage
): Promise<void> {
	await repo.countPolicyHit(db, refusal.ruleId, utcDay(now));
	if (sent) await keepRefusedMessage(db, refusal.ruleId, sent, now);
}

/**
 * A finished reply against the rules that screen replies, counted for today; the refusal that
 * replaces it, or null. `prompt` is the user text it answers (a guard model judges the exchange).
 */
export async function screenReply(
	db: Executor,
	prompt: string,
	reply: string,
	now = Date.now(),
	guard?: GuardContext
): Promise<Refusal | null> {
	const refusal = await judgeText(db, { kind: 'reply', prompt, reply }, guard);
	if (refusal) await countRefusal(db, refusal, now);
	return refusal;
}

/** `judgeText` on a user's text, counted for today (and kept, given its sender, if the admin keeps). */
export async function screenText(
	db: Executor,
	text: string,
	now = Date.now(),
	guard?: GuardContext,
	sender?: Omit<RefusedMessage, 'text'>
): Promise<Refusal | null> {
	const refusal = await judgeText(db, { kind: 'prompt', text }, guard);
	if (refusal) await countRefusal(db, refusal, now, sender && { ...sender, text });
	return refusal;
}

/** Refusals per rule per day over the last `days` days (today included). */
export async function policyCounts(
	db: Executor,
	now = Date.now(),
	days = POLICY_COUNT_DAYS
): Promise<PolicyHitDto[]> {
	const rows = await repo.listPolicyHits(db, utcDay(now - (days - 1) * DAY_MS));
	return rows.map((r) => ({ ruleId: Number(r.rule_id), day: r.day, count: Number(r.count) }));
}
