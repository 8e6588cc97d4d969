import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import type { Executor } from '$lib/server/db/database';
import { cancelQueuedJob } from '$lib/server/jobs/finish';
import { TokenCounter } from '$lib/server/llm/token-count';
import type { Provider } from '$lib/server/llm/types';
import * as jobs from '$lib/server/repos/jobs';
import { findMessage, insertMessage } from '$lib/server/repos/messages';
import type { ReplyDeps } from '$lib/server/services/chat';
import { continueReply } from '$lib/server/services/continue';
import { createConversation } from '$lib/server/services/conversations';
import {
	CONTINUE_INSTRUCTION,
	measureNewMessage,
	promptFor,
	replyBudget,
	type PromptHistory,
	type PromptProvider
} from '$lib/server/services/prompt';

const deps: ReplyDeps = { defaultModel: async () => 'llama/default', enqueued: () => {} };

/** A provider whose tokenizer counts characters and whose template adds 2 per message. */
function provider(kind: Provider['kind'], window: number): PromptProvider {
	return {
		id: `fake-${kind}`,
		kind,
		contextWindow: async () => window,
		countTokens: async (text) => text.length,
		countPrompt: async (messages) => messages.reduce((sum, m) => sum + m.content.length + 2, 0) + 1
	};
}

describe.each(DIALECTS)('prompts and Continue on %s', (dialect) => {
	let t: TestDatabase;
	let userId: number;
	let otherId: number;
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[userId, otherId] = (await insertUsers(t.db, 'u', 'o')) as [number, number];
	});
	afterAll(() => t.close());

	/** A conversation of alternating turns with the given texts; the replies `status`. */
	async function thread(texts: string[], status: 'done' | 'cancelled' = 'done') {
		const conv = await createConversation(t.db, userId, {});
		let parent: number | null = null;
		const ids: number[] = [];
		for (const [i, content] of texts.entries()) {
			const m = await insertMessage(t.db, {
				conversation_id: conv.id,
				user_id: userId,
				parent_id: parent,
				role: i % 2 === 0 ? 'user' : 'assistant',
				content,
				status: i % 2 === 0 ? 'done' : status,
				provider: i % 2 === 0 ? null : 'llama',
				model: i % 2 === 0 ? null : 'default',
				created_at: i,
				updated_at: i
			});
			ids.push(m.id);
			parent = m.id;
		}
		return { conv, ids };
	}

	it('fits by tokens: the oldest turns go, and which ones is reported', async () => {
		const { conv, ids } = await thread([
			'a'.repeat(40),
			'b'.repeat(40),
			'c'.repeat(40),
			'd'.repeat(40),
			'e'.repeat(40)
		]);
		// Measured: 4 a message (the template's 2 and a margin of 2), 1 a prompt; 44 a message here.
		const prompt = await promptFor(
			t.db,
			{ conversation_id: conv.id, user_message_id: ids[4]!, model: 'm' },
			{ maxTokens: 10 },
			{ provider: provider('llamacpp', 150), counter: new TokenCounter() }
		);
		if (!prompt.ok) throw new Error(prompt.message);
		expect(prompt.messages.map((m) => m.content[0])).toEqual(['c', 'd', 'e']);
		expect(prompt.context).toEqual({ used: 1 + 3 * 44, window: 150, omitted: ids.slice(0, 2) });
	});

	it('fits nothing by tokens where the window is unknown (only the character cap applies)', async () => {
		const { conv, ids } = await thread(['a'.repeat(400), 'b', 'c'.repeat(400)]);
		const unknown = { ...provider('openai_compatible', 0), contextWindow: async () => null };
		const prompt = await promptFor(
			t.db,
			{ conversation_id: conv.id, user_message_id: ids[2]!, model: 'm' },
			{ maxTokens: 10 },
			{ provider: unknown, counter: new TokenCounter() }
		);
		expect(prompt).toMatchObject({ ok: true, context: null });
		expect(prompt.ok && prompt.messages).toHaveLength(3);
	});

	it('refuses a newest message too large alone, with the figures, or cuts it to fit', async () => {
		const { conv, ids } = await thread(['x'.repeat(300)]);
		const job = { conversation_id: conv.id, user_message_id: ids[0]!, model: 'm' };
		const options = { provider: provider('openai', 200), counter: new TokenCounter() };
		const refused = await promptFor(t.db, job, { maxTokens: 50 }, options);
		expect(refused).toMatchObject({
			ok: false,
			code: 'context_overflow',
			needed: 305,
			available: 150
		});
		const cut = await promptFor(t.db, job, { maxTokens: 50, truncate: true }, options);
		if (!cut.ok) throw new Error(cut.message);
		expect(cut.context!.used).toBeLessThanOrEqual(150);
		expect(cut.messages[0]!.content).toMatch(/^x{100,}$/);
	});

	it('continues by prefill for llama.cpp and Anthropic, by a continuation turn for OpenAI', async () => {
		const { conv, ids } = await thread(['Tell a story', 'Once upon'], 'cancelled');
		const job = { conversation_id: conv.id, user_message_id: ids[0]!, model: 'm' };
		for (const kind of ['llamacpp', 'anthropic'] as const) {
			const prompt = await promptFor(
				t.db,
				job,
				{},
				{
					provider: provider(kind, 1000),
					continueText: 'Once upon'
				}
			);
			expect(prompt.ok && prompt.messages).toEqual([
				{ role: 'user', content: 'Tell a story' },
				{ role: 'assistant', content: 'Once upon' }
			]);
		}
		const openai = await promptFor(
			t.db,
			job,
			{},
			{
				provider: provider('openai', 1000),
				continueText: 'Once upon'
			}
		);
		expect(openai.ok && openai.messages).toEqual([
			{ role: 'user', content: 'Tell a story' },
			{ role: 'assistant', content: 'Once upon' },
			{ role: 'user', content: CONTINUE_INSTRUCTION }
		]);
	});

	it('Continue queues a job on the same message holding its text; a cancel keeps the text', async () => {
		const { ids } = await thread(['Tell a story', 'Once upon'], 'cancelled');
		const replyId = ids[1]!;
		expect(await continueReply(t.db, otherId, replyId, {}, deps)).toMatchObject({
			ok: false,
			code: 'not_found'
		});
		expect(await continueReply(t.db, userId, ids[0]!, {}, deps)).toMatchObject({
			ok: false,
			code: 'not_continuable'
		});
		const started = await continueReply(t.db, userId, replyId, { maxTokens: 20 }, deps);
		if (!started.ok) throw new Error(started.message);
		expect(started.reply).toMatchObject({ id: replyId, status: 'queued', content: 'Once upon' });
		expect(await continueReply(t.db, userId, replyId, {}, deps)).toMatchObject({
			code: 'not_continuable'
		});
		const job = (await jobs.findJob(t.db, started.job.id))!;
		expect(job).toMatchObject({
			assistant_message_id: replyId,
			user_message_id: ids[0],
			partial_text: 'Once upon'
		});
		expect(JSON.parse(job.params)).toMatchObject({ continue: true, maxTokens: 20 });
		await cancelQueuedJob(t.db, job);
		expect(await findMessage(t.db, userId, replyId)).toMatchObject({
			status: 'cancelled',
			content: 'Once upon'
		});
	});
});

describe('TokenCounter', () => {
	it('tokenizes each text once, then answers from its cache', async () => {
		const seen: string[] = [];
		const tokenizer = {
			id: 'p',
			countTokens: async (text: string) => (seen.push(text), text.length)
		};
		const counter = new TokenCounter();
		expect(await counter.count(tokenizer, 'm', ['aa', 'bbb', ''])).toEqual([2, 3, 0]);
		expect(await counter.count(tokenizer, 'm', ['aa', 'bbb', 'cccc'])).toEqual([2, 3, 4]);
		expect(seen).toEqual(['aa', 'bbb', 'cccc']);
		// Another model is another tokenizer.
		await counter.count(tokenizer, 'other', ['aa']);
		expect(seen).toHaveLength(4);
	});

	it('estimates from UTF-8 bytes where no tokenizer answers, and does not keep a failed count', async () => {
		let up = false;
		const flaky = { id: 'p', countTokens: async (text: string) => (up ? text.length * 10 : null) };
		const counter = new TokenCounter();
		expect(await counter.count(flaky, 'm', ['abcdefgh', '日本語'])).toEqual([2, 3]);
		up = true;
		expect(await counter.count(flaky, 'm', ['abcdefgh'])).toEqual([80]);
		expect(await counter.count({ id: 'cloud' }, 'm', ['abcdefgh'])).toEqual([2]);
	});
});

describe('TokenCounter in flight, and a new message measured before sending', () => {
	/** A tokenizer (characters) whose answers wait until `answer()`. */
	function heldTokenizer() {
		const seen: string[] = [];
		const held: (() => void)[] = [];
		return {
			seen,
			answer: () => held.splice(0).forEach((go) => go()),
			provider: {
				id: 'held',
				kind: 'llamacpp' as const,
				contextWindow: async () => 1_000,
				countTokens: (text: string) =>
					new Promise<number>((resolve) => {
						seen.push(text);
						held.push(() => resolve(text.length));
					})
			}
		};
	}

	it('joins a count of the same text already in flight (one tokenizer request)', async () => {
		const tokenizer = heldTokenizer();
		const counter = new TokenCounter();
		const first = counter.count(tokenizer.provider, 'm', ['hello there']);
		const second = counter.count(tokenizer.provider, 'm', ['hello there']);
		await vi.waitFor(() => expect(tokenizer.seen).toHaveLength(1));
		tokenizer.answer();
		expect(await Promise.all([first, second])).toEqual([[11], [11]]);
		expect(counter.tokenized).toBe(1);
	});

	it('does not wait for the tokenizer when the text fits by its byte count, and counts it meanwhile', async () => {
		const tokenizer = heldTokenizer();
		const counter = new TokenCounter();
		// Window 1,000, reply budget 250: 750 for the prompt; 'a'×700 is at most 701 + 8 tokens.
		const fits = await measureNewMessage(
			tokenizer.provider,
			'm',
			'',
			'a'.repeat(700),
			undefined,
			0,
			counter
		);
		expect(fits).toBeNull();
		expect(tokenizer.seen).toEqual(['a'.repeat(700)]); // started, not awaited
		tokenizer.answer();
		await vi.waitFor(() => expect(counter.tokenized).toBe(1));
	});

	it('counts exactly when the byte count does not settle it', async () => {
		const tokenizer = heldTokenizer();
		const counter = new TokenCounter();
		// 'é'×400 is 800 bytes (over 750) but 400 tokens here: it fits once counted.
		const measuring = measureNewMessage(
			tokenizer.provider,
			'm',
			'',
			'é'.repeat(400),
			undefined,
			0,
			counter
		);
		await vi.waitFor(() => expect(tokenizer.seen).toHaveLength(1));
		tokenizer.answer();
		expect(await measuring).toBeNull();
		const over = measureNewMessage(
			tokenizer.provider,
			'm',
			'',
			'é'.repeat(760),
			undefined,
			0,
			counter
		);
		await vi.waitFor(() => expect(tokenizer.seen).toHaveLength(2));
		tokenizer.answer();
		expect(await over).toEqual({ needed: 760 + 8, available: 750 });
	});
});

describe('a prompt counted while it is sent (countLater)', () => {
	function heldTokenizer() {
		const held: (() => void)[] = [];
		return {
			answer: () => held.splice(0).forEach((go) => go()),
			pending: () => held.length,
			provider: {
				id: 'held-prompt',
				kind: 'llamacpp' as const,
				contextWindow: async () => 1_000,
				countTokens: (text: string) =>
					new Promise<number>((resolve) => held.push(() => resolve(text.length)))
			}
		};
	}
	const job = { conversation_id: 0, user_message_id: 3, model: 'm' };
	const history = (newest: string): PromptHistory => ({
		systemPrompt: 'Be brief.',
		path: [
			{ id: 1, role: 'user', content: 'Hello', status: 'done' },
			{ id: 2, role: 'assistant', content: 'Hi there', status: 'done' },
			{ id: 3, role: 'user', content: newest, status: 'done' }
		],
		attached: new Map()
	});
	// The history is given, so no database is read.
	const noDb = {} as Executor;

	it('sends at once when every text fits by its bytes, and counts the context exactly meanwhile', async () => {
		const tokenizer = heldTokenizer();
		const options = { provider: tokenizer.provider, counter: new TokenCounter() };
		const later = await promptFor(
			noDb,
			job,
			{},
			{ ...options, history: history('ünïcode ok'), countLater: true }
		);
		expect(later.ok && later.context).toBeNull();
		expect(tokenizer.pending()).toBe(4); // counting, not awaited
		tokenizer.answer();
		const context = later.ok && (await later.counting);
		// The same prompt and figures as when every count is waited for (now all cached).
		const now = await promptFor(noDb, job, {}, { ...options, history: history('ünïcode ok') });
		expect(now.ok && now.messages).toEqual(later.ok && later.messages);
		expect(now.ok && now.context).toEqual(context);
		expect(context).toEqual({ used: 9 + 5 + 8 + 10 + 4 * 8, window: 1_000, omitted: [] });
	});

	it('waits for the counts when the bytes alone do not settle the fit', async () => {
		const tokenizer = heldTokenizer();
		const counting = promptFor(
			noDb,
			job,
			{},
			{
				provider: tokenizer.provider,
				counter: new TokenCounter(),
				history: history('é'.repeat(500)), // 1,000 bytes, 500 tokens: fits once counted
				countLater: true
			}
		);
		await vi.waitFor(() => expect(tokenizer.pending()).toBe(4));
		tokenizer.answer();
		const prompt = await counting;
		expect(prompt.ok && prompt.counting).toBeUndefined();
		expect(prompt.ok && prompt.context).toEqual({
			used: 9 + 5 + 8 + 500 + 4 * 8,
			window: 1_000,
			omitted: []
		});
	});
});

describe('replyBudget', () => {
	it.each([
		{ window: 8192, maxTokens: undefined, budget: 1024 },
		{ window: 1024, maxTokens: undefined, budget: 256 },
		{ window: 1024, maxTokens: 100, budget: 100 },
		// A max_tokens past the window is a ceiling: the prompt keeps half the window.
		{ window: 1024, maxTokens: 2000, budget: 512 },
		{ window: 1024, maxTokens: 512, budget: 512 }
	])('window $window, max_tokens $maxTokens → $budget', ({ window, maxTokens, budget }) => {
		expect(replyBudget(window, maxTokens)).toBe(budget);
	});
});
