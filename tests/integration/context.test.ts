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
import { MESSAGE_MARGIN_TOKENS } from '$lib/server/llm/token-count';

const CONTEXT = 1024;
const REPLY_TOKENS = 4;

describe('the context window against a real llama-server', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let alice: ApiClient;
	let bob: ApiClient;
	let window: number;

	/** llama.cpp's own count of `messages` as its chat template renders them for a reply. */
	async function truth(messages: Pick<MessageDto, 'role' | 'content'>[]): Promise<number> {
		const post = (path: string, body: unknown) =>
			fetch(`${llama.url}${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body)
			}).then((r) => r.json());
		const { prompt } = (await post('/apply-template', {
			messages: messages.map(({ role, content }) => ({ role, content }))
		})) as { prompt: string };
		const { tokens } = (await post('/tokenize', {
			content: prompt,
			add_special: true,
			parse_special: true
		})) as { tokens: unknown[] };
		return tokens.length;
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
		for (let turn = 0; turn < 6; turn++) {
			const content = `Turn ${turn}: ` + 'the hearth keeps the house warm. '.repeat(12);
			const { sent, reply } = await say(id, content);
			expect(reply.status).toBe('done');
			const context = reply.context!;
			expect(context.window).toBe(window);
			// The oldest messages are the ones left out; what was sent is the newest run.
			const omitted = path.slice(0, context.omitted.length);
			expect(context.omitted).toEqual(omitted.map((m) => m.id));
			const kept = [...path.slice(omitted.length), sent.message];
			expect(kept[0]!.role).toBe('user');
			// By llama.cpp's own rendering: what was sent fits, and Hearth never counts it short.
			const sentTokens = await truth(kept);
			expect(reply.usage!.promptTokens).toBe(sentTokens);
			expect(sentTokens).toBeLessThanOrEqual(context.used);
			expect(context.used).toBeLessThanOrEqual(available);
			// Leaving out fewer would not have fit: the next older turn (from its question) overflows,
			// within Hearth's safety margin per message.
			if (omitted.length > 0) {
				const start = omitted.findLastIndex((m) => m.role === 'user');
				const more = [...omitted.slice(start), ...kept];
				const margin = MESSAGE_MARGIN_TOKENS * more.length;
				expect(await truth(more)).toBeGreaterThan(available - margin);
			}
			leftOut = omitted.length;
			// Hearth sends only messages with text; so does this record.
			path.push(...[sent.message, reply].filter((m) => m.content));
		}
		expect(leftOut).toBeGreaterThan(0);
		// The conversation reads back with the same record on the newest reply.
		const read = await conversation(alice, id);
		expect(read.messages.at(-1)!.context!.omitted.length).toBe(leftOut);
	}, 120_000);

	it('refuses a message too large alone with both figures, or sends it truncated', async () => {
		const id = await newConversation(alice);
		const content = 'An enormous letter about the hearth. '.repeat(120);
		const alone = await truth([{ role: 'user', content }]);
		expect(alone).toBeGreaterThan(window);
		const refused = await alice.json('POST', `/api/conversations/${id}/messages`, {
			content,
			maxTokens: REPLY_TOKENS
		});
		expect(refused).toMatchObject({
			status: 413,
			body: { error: { code: 'context_overflow', available: window - REPLY_TOKENS } }
		});
		const { needed, message } = (refused.body as { error: { needed: number; message: string } })
			.error;
		expect(needed).toBeGreaterThanOrEqual(alone);
		// Over by at most the safety margin (and a rounding token).
		expect(needed).toBeLessThanOrEqual(alone + 2 * MESSAGE_MARGIN_TOKENS);
		expect(message).toContain(String(needed));
		expect(message).toContain(String(window - REPLY_TOKENS));
		// Nothing was stored.
		expect((await conversation(alice, id)).messages).toEqual([]);
		const { reply } = await say(id, content, { truncate: true });
		expect(reply.status).toBe('done');
		expect(reply.context!.used).toBeLessThanOrEqual(window - REPLY_TOKENS);
		expect(reply.context!.used).toBeGreaterThan((window - REPLY_TOKENS) * 0.8);
	}, 60_000);

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
			if (event.event === 'delta')
				streamed += (JSON.parse(event.data) as { text?: string }).text ?? '';
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
	}, 60_000);
});
