// The context window end to end: the built server, a real llama-server with a small context,
// HTTP. Fitting leaves out the oldest turns at the right point (checked against llama.cpp's own
// tokenizer), a message too large alone is refused with the figures or sent truncated, and
// Continue extends a stopped or length-cut reply in the same message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlowLlamaServer, type LlamaServer } from '../support/llama-server';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import { conversation, newConversation, settledReply } from '../support/chat';
import type { MessageDto, SendResultDto } from '$lib/shared/dto';
import { MESSAGE_OVERHEAD_TOKENS } from '$lib/server/llm/token-count';

const CONTEXT = 1024;
const REPLY_TOKENS = 4;

describe('the context window against a real llama-server', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let alice: ApiClient;
	let bob: ApiClient;
	let window: number;

	/** llama.cpp's own count of `text`, plus the per-message template allowance Hearth adds. */
	async function tokens(text: string): Promise<number> {
		const res = await fetch(`${llama.url}/tokenize`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ content: text, add_special: false })
		});
		return ((await res.json()) as { tokens: unknown[] }).tokens.length + MESSAGE_OVERHEAD_TOKENS;
	}

	async function say(id: number, content: string, extra: Record<string, unknown> = {}) {
		const res = await alice.json<SendResultDto>('POST', `/api/conversations/${id}/messages`, {
			content,
			maxTokens: REPLY_TOKENS,
			...extra
		});
		expect(res.status, JSON.stringify(res.body)).toBe(202);
		return { sent: res.body, reply: await settledReply(alice, id, res.body.reply.id) };
	}

	beforeAll(async () => {
		llama = await startSlowLlamaServer({ contextSize: CONTEXT });
		hearth = await startHearth({ LLAMA_URL: llama.url });
		addUser(hearth, 'alice', 'alice-password');
		addUser(hearth, 'bob', 'bob-password-1');
		alice = await signIn(hearth, 'alice', 'alice-password');
		bob = await signIn(hearth, 'bob', 'bob-password-1');
		const props = (await (await fetch(`${llama.url}/props`)).json()) as {
			default_generation_settings: { n_ctx: number };
		};
		window = props.default_generation_settings.n_ctx;
	}, 180_000);
	afterAll(async () => {
		await hearth?.stop();
		await llama?.stop();
	});

	it('leaves out the oldest turns, exactly where the window is full', async () => {
		const id = await newConversation(alice);
		const available = window - REPLY_TOKENS;
		const path: MessageDto[] = [];
		let leftOut = 0;
		for (let turn = 0; turn < 8; turn++) {
			const content = `Turn ${turn}: ` + 'the hearth keeps the house warm. '.repeat(12);
			const { sent, reply } = await say(id, content);
			expect(reply.status).toBe('done');
			// Expected, from llama.cpp's tokenizer: the newest message, then older ones while they fit.
			const counts = await Promise.all(path.map((m) => tokens(m.content)));
			let used = await tokens(content);
			let first = path.length;
			while (first > 0 && used + counts[first - 1]! <= available) used += counts[--first]!;
			while (first < path.length && path[first]!.role === 'assistant') used -= counts[first++]!;
			const omitted = path.slice(0, first).map((m) => m.id);
			expect(reply.context, `turn ${turn}`).toEqual({ used, window, omitted });
			// What llama.cpp was really sent fits its window.
			expect(reply.usage!.promptTokens + REPLY_TOKENS).toBeLessThanOrEqual(window);
			leftOut = omitted.length;
			// Hearth sends only messages with text; so does this count.
			path.push(...[sent.message, reply].filter((m) => m.content));
		}
		expect(leftOut).toBeGreaterThan(0);
		// The conversation reads back with the same record on the newest reply.
		const read = await conversation(alice, id);
		expect(read.messages.at(-1)!.context!.omitted.length).toBe(leftOut);
	});

	it('refuses a message too large alone with both figures, or sends it truncated', async () => {
		const id = await newConversation(alice);
		const content = 'An enormous letter about the hearth. '.repeat(120);
		const needed = await tokens(content);
		expect(needed).toBeGreaterThan(window);
		const refused = await alice.json('POST', `/api/conversations/${id}/messages`, {
			content,
			maxTokens: REPLY_TOKENS
		});
		expect(refused).toEqual({
			status: 413,
			body: {
				error: {
					code: 'context_overflow',
					message: expect.stringContaining(String(needed)),
					needed,
					available: window - REPLY_TOKENS
				}
			}
		});
		// Nothing was stored.
		expect((await conversation(alice, id)).messages).toEqual([]);
		const { reply } = await say(id, content, { truncate: true });
		expect(reply.status).toBe('done');
		expect(reply.context!.used).toBeLessThanOrEqual(window - REPLY_TOKENS);
		expect(reply.context!.used).toBeGreaterThan((window - REPLY_TOKENS) * 0.8);
	});

	it('continues a stopped reply in the same message, as a new job', async () => {
		const id = await newConversation(alice);
		const res = await alice.json<SendResultDto>('POST', `/api/conversations/${id}/messages`, {
			content: 'Tell me a long story about the hearth.',
			maxTokens: 600
		});
		expect(res.status).toBe(202);
		// Stop it once some text has streamed.
		const controller = new AbortController();
		for await (const event of await alice.events(res.body.job.id, undefined, controller.signal))
			if (event.event === 'delta') break;
		controller.abort();
		expect((await alice.call('POST', `/api/jobs/${res.body.job.id}/cancel`)).status).toBe(200);
		const stopped = await settledReply(alice, id, res.body.reply.id);
		expect(stopped).toMatchObject({ status: 'cancelled', continuable: true });
		expect(stopped.content).not.toBe('');

		// Another user's id is unknown; a user message cannot be continued.
		const foreign = await bob.json('POST', `/api/messages/${stopped.id}/continue`, {});
		expect(foreign).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
		const user = await alice.json('POST', `/api/messages/${res.body.message.id}/continue`, {});
		expect(user).toMatchObject({ status: 409, body: { error: { code: 'not_continuable' } } });

		// Two Continues at once: one job; the other is refused while it runs.
		const both = await Promise.all(
			[0, 1].map(() =>
				alice.json<{ reply: MessageDto; job: { id: number } }>(
					'POST',
					`/api/messages/${stopped.id}/continue`,
					{ maxTokens: REPLY_TOKENS }
				)
			)
		);
		expect(both.map((r) => r.status).sort()).toEqual([202, 409]);
		const more = both.find((r) => r.status === 202)!;
		expect(more.body.reply).toMatchObject({ id: stopped.id, status: 'queued' });
		expect(more.body.job.id).not.toBe(res.body.job.id);
		// The job's stream replays the whole message: the old text, then the new.
		let streamed = '';
		for await (const event of await alice.events(more.body.job.id)) {
			if (event.event === 'delta') streamed += (JSON.parse(event.data) as { text?: string }).text ?? '';
			if (event.event === 'done' || event.event === 'error') break;
		}
		const extended = await settledReply(alice, id, stopped.id);
		expect(extended.status).toBe('done');
		expect(extended.content.startsWith(stopped.content)).toBe(true);
		expect(extended.content.length).toBeGreaterThan(stopped.content.length);
		expect(streamed).toBe(extended.content);
		// Cut by its token limit (--ignore-eos): it can be continued again.
		expect(extended.continuable).toBe(true);
		const messages = (await conversation(alice, id)).messages;
		expect(messages.map((m) => m.id)).toEqual([res.body.message.id, stopped.id]);
		const again = await alice.json<{ job: { id: number } }>(
			'POST',
			`/api/messages/${stopped.id}/continue`,
			{ maxTokens: REPLY_TOKENS }
		);
		expect(again.status).toBe(202);
		const twiceExtended = await settledReply(alice, id, stopped.id);
		expect(twiceExtended.content.startsWith(extended.content)).toBe(true);
		expect(twiceExtended.content.length).toBeGreaterThan(extended.content.length);
	});
});
