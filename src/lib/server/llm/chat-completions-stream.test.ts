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
		'reads the same events however the body is cut (%i bytes)',
		async (size) => {
			for (const eol of ['\n', '\r\n']) {
				const events = await collect(fetchWith(BODY.join(eol), size));
				expect(events).toEqual([
					{ type: 'text', text: 'Once' },
					{ type: 'text', text: ' upon ✨' },
					{ type: 'finish', reason: 'stop' },
					{ type: 'usage', promptTokens: 3, completionTokens: 2, timings: undefined }
				]);
			}
		}
	);

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
