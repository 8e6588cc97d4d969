import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { regenerateReply, sendMessage, type ReplyDeps } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';
import {
	createPolicyRule,
	deletePolicyRule,
	hasNestedQuantifier,
	listPolicyRules,
	policyCounts,
	screenText,
	updatePolicyRule
} from '$lib/server/services/content-policy';

const DAY_MS = 86_400_000;
const NOON = Date.UTC(2026, 10, 29, 12);

describe('nested quantifiers', () => {
	it('refuses the catastrophic shapes and keeps ordinary patterns', () => {
		for (const bad of ['(a+)+', '(\\w*)*b', '(x+){2,}', '((ab)+c)*', '(?:a|b+)+'])
			expect(hasNestedQuantifier(bad), bad).toBe(true);
		for (const good of ['a+b*', '(ab)+', '[(a+)]+', '\\(a+\\)+', '(a{2})+', 'bomb\\s+recipe'])
			expect(hasNestedQuantifier(good), good).toBe(false);
	});
});

describe.each(DIALECTS)('the content policy on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId] = (await insertUsers(t.db, 'u')) as [number];
	});
	afterAll(() => t.close());

	it('refuses by keyword and by regex, case-insensitively, and counts per rule per day', async () => {
		const keyword = await createPolicyRule(t.db, {
			name: 'Secrets',
			kind: 'keyword',
			pattern: ' Launch Codes \n\nvault combination ',
			message: 'I cannot help with that.'
		});
		const regex = await createPolicyRule(t.db, {
			name: 'Card numbers',
			kind: 'regex',
			pattern: '\\b(?:\\d{4}[ -]?){3}\\d{4}\\b',
			message: 'Please do not share card numbers.'
		});
		if (!keyword.ok || !regex.ok) throw new Error('rules not created');
		expect(keyword.rule).toEqual({
			id: expect.any(Number),
			name: 'Secrets',
			kind: 'keyword',
			pattern: 'Launch Codes\nvault combination',
			message: 'I cannot help with that.',
			enabled: true,
			failClosed: false,
			screenReplies: false
		});
		expect(await screenText(t.db, 'what are the LAUNCH codes?', NOON)).toEqual({
			ruleId: keyword.rule.id,
			message: 'I cannot help with that.'
		});
		expect(await screenText(t.db, 'my card is 4111 1111 1111 1111', NOON)).toEqual({
			ruleId: regex.rule.id,
			message: 'Please do not share card numbers.'
		});
		expect(await screenText(t.db, 'Open the VAULT COMBINATION', NOON + DAY_MS)).toMatchObject({
			ruleId: keyword.rule.id
		});
		expect(await screenText(t.db, 'a poem about the hearth', NOON)).toBeNull();
		expect(await policyCounts(t.db, NOON + DAY_MS)).toEqual([
			{ ruleId: keyword.rule.id, day: '2026-11-29', count: 1 },
			{ ruleId: regex.rule.id, day: '2026-11-29', count: 1 },
			{ ruleId: keyword.rule.id, day: '2026-11-30', count: 1 }
		]);

		// Disabled rules let text through; deleting a rule takes its counts with it.
		expect(await updatePolicyRule(t.db, keyword.rule.id, { enabled: false })).toMatchObject({
			ok: true,
			rule: { enabled: false, pattern: 'Launch Codes\nvault combination' }
		});
		expect(await screenText(t.db, 'launch codes', NOON)).toBeNull();
		expect(await deletePolicyRule(t.db, keyword.rule.id)).toEqual({ ok: true });
		expect(await deletePolicyRule(t.db, keyword.rule.id)).toMatchObject({ code: 'not_found' });
		expect(await policyCounts(t.db, NOON + DAY_MS)).toEqual([
			{ ruleId: regex.rule.id, day: '2026-11-29', count: 1 }
		]);
		expect(await deletePolicyRule(t.db, regex.rule.id)).toEqual({ ok: true });
		expect(await listPolicyRules(t.db)).toEqual([]);
	});

	it('refuses bad rules: an invalid regex, nested quantifiers, empty fields, long patterns', async () => {
		const base = { name: 'r', kind: 'regex' as const, message: 'no' };
		for (const pattern of ['(unclosed', '(a+)+$', '', 'x'.repeat(501)])
			expect(await createPolicyRule(t.db, { ...base, pattern }), pattern).toMatchObject({
				ok: false,
				code: 'invalid'
			});
		expect(
			await createPolicyRule(t.db, { ...base, kind: 'keyword', pattern: ' \n ' })
		).toMatchObject({ ok: false, code: 'invalid' });
		expect(await createPolicyRule(t.db, { ...base, pattern: 'ok', message: ' ' })).toMatchObject({
			ok: false,
			code: 'invalid'
		});
		expect(await updatePolicyRule(t.db, 999_999, { name: 'x' })).toMatchObject({
			code: 'not_found'
		});
		expect(await listPolicyRules(t.db)).toEqual([]);
	});

	it('answers a refused chat message with the refusal, finished, and enqueues no reply', async () => {
		const rule = await createPolicyRule(t.db, {
			name: 'Forbidden',
			kind: 'keyword',
			pattern: 'forbidden word',
			message: 'That topic is off limits here.'
		});
		if (!rule.ok) throw new Error(rule.message);
		const enqueued: unknown[] = [];
		const deps: ReplyDeps = {
			defaultModel: async () => 'llama/default',
			enqueued: (job) => enqueued.push(job)
		};
		const conversation = await createConversation(t.db, userId, {});
		const sent = await sendMessage(
			t.db,
			userId,
			conversation.id,
			{ content: 'Tell me the Forbidden Word' },
			deps
		);
		if (!sent.ok) throw new Error(sent.message);
		expect(sent.message).toMatchObject({ role: 'user', content: 'Tell me the Forbidden Word' });
		expect(sent.reply).toMatchObject({
			role: 'assistant',
			content: 'That topic is off limits here.',
			status: 'done'
		});
		expect(sent.job.state).toBe('done');
		const again = await regenerateReply(
			t.db,
			userId,
			conversation.id,
			{ messageId: sent.message.id },
			deps
		);
		expect(again).toMatchObject({
			ok: true,
			reply: { content: 'That topic is off limits here.', status: 'done' }
		});
		expect(enqueued).toEqual([]);

		const fine = await sendMessage(t.db, userId, conversation.id, { content: 'hello' }, deps);
		expect(fine).toMatchObject({ ok: true, reply: { status: 'queued', content: '' } });
		expect(enqueued).toHaveLength(1);
		expect((await policyCounts(t.db)).find((c) => c.ruleId === rule.rule.id)?.count).toBe(2);
	});
});
