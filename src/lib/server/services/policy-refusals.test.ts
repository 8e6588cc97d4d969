// Kept refused texts on both dialects: off by default (counts only), kept with their sender when
// the admin turns it on (chat and /v1's screening), listed newest first a page at a time, bounded
// per rule and by age, and deleted when the setting goes off and with the sender's account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import { insertPolicyRefusal } from '$lib/server/repos/policy';
import { removeUser } from '$lib/server/services/accounts';
import { sendMessage, type ReplyDeps } from '$lib/server/services/chat';
import {
	createPolicyRule,
	deletePolicyRule,
	policyCounts,
	screenText
} from '$lib/server/services/content-policy';
import { createConversation } from '$lib/server/services/conversations';
import {
	deleteExpiredRefusedTexts,
	keepsRefusedText,
	listRefusedTexts,
	MAX_KEPT_REFUSAL_CHARS,
	POLICY_REFUSAL_RETENTION_MS,
	setKeepRefusedText
} from '$lib/server/services/policy-refusals';

const PAGE = { limit: 20, beforeId: null };

describe.each(DIALECTS)('kept refused texts on %s', (dialect) => {
	let t: TestDatabase;
	let alice: number;
	let bob: number;
	let ruleId: number;
	const deps: ReplyDeps = { defaultModel: async () => 'llama/default', enqueued: () => {} };
	const texts = async (now = Date.now()) => {
		const listed = await listRefusedTexts(t.db, ruleId, PAGE, now);
		if (!listed.ok) throw new Error(listed.message);
		return listed.refusals.map((r) => [r.username, r.source, r.text]);
	};
	const sendAs = async (userId: number, content: string) => {
		const conversation = await createConversation(t.db, userId, {});
		const sent = await sendMessage(t.db, userId, conversation.id, { content }, deps);
		expect(sent).toMatchObject({ ok: true, reply: { content: 'Not here.', status: 'done' } });
	};

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[alice, bob] = (await insertUsers(t.db, 'alice', 'bob')) as [number, number];
		const rule = await createPolicyRule(t.db, {
			name: 'Lagoon',
			kind: 'keyword',
			pattern: 'blue lagoon',
			message: 'Not here.'
		});
		if (!rule.ok) throw new Error(rule.message);
		ruleId = rule.rule.id;
	});
	afterAll(() => t.close());

	it('keeps nothing by default: a refusal is only counted', async () => {
		expect(await keepsRefusedText(t.db)).toBe(false);
		await sendAs(alice, 'the Blue Lagoon, off by default');
		expect(
			await screenText(t.db, 'blue lagoon via the API', Date.now(), undefined, {
				userId: bob,
				source: 'api'
			})
		).toMatchObject({ ruleId });
		expect(await texts()).toEqual([]);
		expect((await policyCounts(t.db)).find((c) => c.ruleId === ruleId)?.count).toBe(2);
	});

	it('keeps chat and API refusals with their sender while on, newest first, a page at a time', async () => {
		await setKeepRefusedText(t.db, true);
		expect(await keepsRefusedText(t.db)).toBe(true);
		await sendAs(alice, 'tell me about the blue lagoon');
		await screenText(t.db, 'BLUE LAGOON from a script', Date.now(), undefined, {
			userId: bob,
			source: 'api'
		});
		await sendAs(bob, `blue lagoon ${'x'.repeat(2 * MAX_KEPT_REFUSAL_CHARS)}`);
		await sendAs(alice, 'blue lagoon');
		// Text that passes, and a refusal without a sender (a screened reply), are not kept.
		const calm = await createConversation(t.db, alice, {});
		expect(await sendMessage(t.db, alice, calm.id, { content: 'a calm sea' }, deps)).toMatchObject({
			ok: true,
			reply: { status: 'queued' }
		});
		expect(await screenText(t.db, 'blue lagoon, a reply', Date.now())).toMatchObject({ ruleId });
		const all = await listRefusedTexts(t.db, ruleId, PAGE);
		if (!all.ok) throw new Error(all.message);
		expect(all.refusals.map((r) => [r.username, r.source, r.text.length])).toEqual([
			['alice', 'chat', 'blue lagoon'.length],
			['bob', 'chat', MAX_KEPT_REFUSAL_CHARS],
			['bob', 'api', 'BLUE LAGOON from a script'.length],
			['alice', 'chat', 'tell me about the blue lagoon'.length]
		]);
		expect(all.nextBeforeId).toBeNull();

		const first = await listRefusedTexts(t.db, ruleId, { limit: 3, beforeId: null });
		if (!first.ok) throw new Error(first.message);
		expect(first.refusals).toEqual(all.refusals.slice(0, 3));
		expect(first.nextBeforeId).toBe(all.refusals[2]!.id);
		expect(
			await listRefusedTexts(t.db, ruleId, { limit: 3, beforeId: first.nextBeforeId })
		).toEqual({ ok: true, refusals: all.refusals.slice(3), nextBeforeId: null });
		expect(await listRefusedTexts(t.db, 999_999, PAGE)).toMatchObject({ code: 'not_found' });
	});

	it('bounds each rule to its newest texts and the retention window', async () => {
		const other = await createPolicyRule(t.db, {
			name: 'Other',
			kind: 'keyword',
			pattern: 'other',
			message: 'No.'
		});
		if (!other.ok) throw new Error(other.message);
		const now = Date.now();
		for (let i = 1; i <= 5; i++)
			await insertPolicyRefusal(
				t.db,
				{ rule_id: other.rule.id, user_id: alice, source: 'chat', text: `t${i}`, created_at: now },
				3
			);
		const kept = await listRefusedTexts(t.db, other.rule.id, PAGE, now);
		expect(kept.ok && kept.refusals.map((r) => r.text)).toEqual(['t5', 't4', 't3']);
		// Another rule's texts are not touched by this rule's bound.
		expect(await texts(now)).toHaveLength(4);

		const later = now + POLICY_REFUSAL_RETENTION_MS + 1;
		expect(await texts(later)).toEqual([]); // past the window: not shown…
		expect(await deleteExpiredRefusedTexts(t.db, now)).toBe(0);
		expect(await deleteExpiredRefusedTexts(t.db, later)).toBe(7); // …and swept
		expect(await deletePolicyRule(t.db, other.rule.id)).toEqual({ ok: true });
	});

	it('deletes a user’s kept texts with the account, and all of them when turned off', async () => {
		await sendAs(alice, 'blue lagoon again');
		await sendAs(bob, 'blue lagoon from bob');
		expect(await texts()).toEqual([
			['bob', 'chat', 'blue lagoon from bob'],
			['alice', 'chat', 'blue lagoon again']
		]);
		expect(await removeUser(t.db, null, 'bob')).toEqual({ ok: true });
		expect(await texts()).toEqual([['alice', 'chat', 'blue lagoon again']]);

		await setKeepRefusedText(t.db, false);
		expect(await t.db.selectFrom('policy_refusal').selectAll().execute()).toEqual([]);
		await sendAs(alice, 'blue lagoon, off again');
		expect(await texts()).toEqual([]);
	});
});
