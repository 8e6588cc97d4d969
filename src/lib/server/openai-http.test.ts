// The /v1 SSE writer: chunks in OpenAI's shape, a fast run written together, the usage and
// [DONE] at the end.
import { describe, expect, it } from 'vitest';
import { completionSse } from '$lib/server/openai-http';
import type { V1Completion, V1Event } from '$lib/server/services/v1-chat';

const completion = {
	ok: true,
	id: 'chatcmpl-1',
	created: 1,
	model: 'm',
	stream: true,
	includeUsage: true
} as Omit<V1Completion, 'events'> as V1Completion;
const chunk = (content: string): V1Event => ({
	type: 'chunk',
	chunk: { id: 'chatcmpl-1', choices: [{ index: 0, delta: { content } }] }
});

describe('completionSse', () => {
	it('writes the first text at once (after the role chunk too) and a fast run after it together', async () => {
		let release: () => void = () => {};
		const released = new Promise<void>((r) => (release = r));
		async function* rest(): AsyncGenerator<V1Event> {
			yield chunk('a');
			await released;
			yield chunk('b');
			yield chunk('c');
			yield { type: 'usage', usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 } };
		}
		const role: V1Event = {
			type: 'chunk',
			chunk: { id: 'chatcmpl-1', choices: [{ index: 0, delta: { role: 'assistant' } }] }
		};
		const res = completionSse(completion, role, rest(), () => {}, 60_000);
		const reader = res.body!.getReader();
		const decoder = new TextDecoder();
		const writes: string[] = [];
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			writes.push(decoder.decode(value));
			if (writes.join('').includes('"a"')) release();
		}
		const data = (w: string) => w.split('\n\n').filter(Boolean);
		expect(writes.map((w) => data(w).length)).toEqual([1, 1, 2, 1, 1]);
		const lines = writes.flatMap(data);
		expect(lines.slice(0, 4).map((l) => JSON.parse(l.slice(6)).choices[0].delta.content)).toEqual([
			undefined,
			'a',
			'b',
			'c'
		]);
		expect(JSON.parse(lines[4]!.slice(6))).toMatchObject({
			choices: [],
			usage: { completion_tokens: 3 }
		});
		expect(lines[5]).toBe('data: [DONE]');
	});
});
