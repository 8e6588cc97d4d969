// The llama.cpp stream reader against scripted bodies: any chunking, CRLF, comments, [DONE], and
// refusals in the shape describeFailure reads.
import { describe, expect, it } from 'vitest';
import { streamChatCompletions } from '$lib/server/llm/chat-completions-stream';
import type { ChatEvent } from '$lib/server/llm/types';
import type { GuardedFetch } from '$lib/server/net/guarded-fetch';

const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}`;
const BODY = [
	': a comment',
	chunk('Once'),
	'',
	chunk(' upon ✨'),
	'',
	`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}`,
	'',
	`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } })}`,
	'',
	'data: [DONE]',
	'',
	''
];

/** A fetch answering with `body` cut into pieces of `size` bytes. */
function fetchWith(body: string, size: number, status = 200): GuardedFetch {
	const bytes = new TextEncoder().encode(body);
	return (async () =>
		new Response(
			new ReadableStream({
				start(controller) {
					for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
					controller.close();
				}
			}),
			{
				status,
				headers: { 'content-type': status === 200 ? 'text/event-stream' : 'application/json' }
			}
		)) as unknown as GuardedFetch;
}

/** A fetch answering with `parts`, each its own read. */
function fetchWithParts(parts: string[]): GuardedFetch {
	const encoder = new TextEncoder();
	return (async () =>
		new Response(
			new ReadableStream({
				start(controller) {
					for (const part of parts) controller.enqueue(encoder.encode(part));
					controller.close();
				}
			}),
			{ status: 200, headers: { 'content-type': 'text/event-stream' } }
		)) as unknown as GuardedFetch;
}

async function collect(fetch: GuardedFetch) {
	const events: ChatEvent[] = [];
	const options = { providerName: 'llama.cpp', baseUrl: 'http://x/v1', apiKey: null, fetch };
	const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
	for await (const e of streamChatCompletions(options, request, new AbortController().signal))
		events.push(e);
	return events;
}

describe('streamChatCompletions', () => {
	it.each([1, 3, 7, 64, 4096])(
		'reads the same text and events however the body is cut (%i bytes)',
		async (size) => {
			for (const eol of ['\n', '\r\n']) {
				const events = await collect(fetchWith(BODY.join(eol), size));
				const text = events.filter((e) => e.type === 'text');
				expect(text.map((e) => e.text).join('')).toBe('Once upon ✨');
				expect(events.slice(text.length)).toEqual([
					{ type: 'finish', reason: 'stop' },
					{ type: 'usage', promptTokens: 3, completionTokens: 2, timings: undefined }
				]);
			}
		}
	);

	it('joins the deltas of one read into one event per run of a channel, in order', async () => {
		const reasoning = (r: string) =>
			`data: ${JSON.stringify({ choices: [{ delta: { reasoning_content: r } }] })}`;
		const body = [
			reasoning('Hm'),
			reasoning('m.'),
			chunk('Once'),
			chunk(' upon'),
			`data: ${JSON.stringify({ choices: [{ delta: { content: '!' }, finish_reason: 'stop' }] })}`,
			'data: [DONE]',
			''
		].join('\n\n');
		// All in one read: each run is one event; the finish ends the run it closes.
		expect(await collect(fetchWith(body, 1 << 16))).toEqual([
			{ type: 'reasoning', text: 'Hmm.' },
			{ type: 'text', text: 'Once upon!' },
			{ type: 'finish', reason: 'stop' }
		]);
		// One chunk per read: one event each, as they came.
		const cut = body.split('\n\n').map((part) => `${part}\n\n`);
		expect(await collect(fetchWithParts(cut))).toEqual([
			{ type: 'reasoning', text: 'Hm' },
			{ type: 'reasoning', text: 'm.' },
			{ type: 'text', text: 'Once' },
			{ type: 'text', text: ' upon' },
			{ type: 'text', text: '!' },
			{ type: 'finish', reason: 'stop' }
		]);
	});

	it('turns a refusal into a typed error with the upstream text kept apart', async () => {
		const body = JSON.stringify({
			error: { code: 400, message: 'the request exceeds the context size' }
		});
		const events = await collect(fetchWith(body, 4096, 400));
		expect(events).toEqual([
			{
				type: 'error',
				error: expect.objectContaining({
					code: 'bad_request',
					status: 400,
					detail: 'the request exceeds the context size'
				})
			}
		]);
	});

	it('says the reply ended early when the body stops before a finish', async () => {
		const events = await collect(fetchWith(`${chunk('Once')}\n\n`, 4096));
		expect(events.at(-1)).toMatchObject({
			type: 'error',
			error: { code: 'interrupted', retryable: true }
		});
	});
});
