// The content policy (admin): keyword-list and regex rules, each with its own refusal message,
// screened against what users send through the chat and /v1. A refusal counts one hit for its
// rule on that UTC day; the refused text is not kept anywhere.
import type { Executor } from '$lib/server/db/database';
import type { PolicyRule } from '$lib/server/db/schema';
import * as repo from '$lib/server/repos/policy';
import type { PolicyHitDto, PolicyRuleDto, PolicyRuleKindDto } from '$lib/shared/dto';

export const MAX_POLICY_NAME_CHARS = 100;
export const MAX_POLICY_MESSAGE_CHARS = 2_000;
export const MAX_POLICY_REGEX_CHARS = 500;
export const MAX_POLICY_KEYWORDS = 500;
export const MAX_POLICY_KEYWORD_CHARS = 200;
/** How far back the admin's counts go by default. */
export const POLICY_COUNT_DAYS = 30;
const DAY_MS = 86_400_000;

export interface PolicyRuleInput {
	name: string;
	kind: PolicyRuleKindDto;
	pattern: string;
	message: string;
	enabled?: boolean;
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
		enabled: row.enabled === 1
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
		values: { name, kind: input.kind, pattern, message, enabled: input.enabled === false ? 0 : 1 }
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

/**
 * The first enabled rule `text` breaks (in rule order), counted for today; null lets it through.
 */
export async function screenText(
	db: Executor,
	text: string,
	now = Date.now()
): Promise<Refusal | null> {
	if (!text) return null;
	const rules = await repo.listEnabledPolicyRules(db);
	if (rules.length === 0) return null;
	const lowered = text.toLowerCase();
	const rule = rules.find((r) => matches(r, lowered, text));
	if (!rule) return null;
	await repo.countPolicyHit(db, Number(rule.id), utcDay(now));
	return { ruleId: Number(rule.id), message: rule.message };
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
