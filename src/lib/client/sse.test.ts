import { describe, expect, it } from 'vitest';
import { parseSse } from '$lib/client/sse';

function body(chunks: string[]) {
	return new Response(
		new ReadableStream({
			start(c) {
				for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
				c.close();
			}
		})
	).body!;
}

async function all(chunks: string[]) {
	const events = [];
	for await (const e of parseSse(body(chunks))) events.push(e);
	return events;
}

describe('parseSse', () => {
	it('parses events split anywhere, with ids, names, comments and CRLF', async () => {
		const stream =
			'retry: 2000\n: hello\n\nid: 5\nevent: delta\ndata: {"text":"a"}\n\r\nid: 9\r\nevent: done\r\ndata: x\r\ndata: y\r\n\r\n';
		const expected = [
			{ id: '5', event: 'delta', data: '{"text":"a"}' },
			{ id: '9', event: 'done', data: 'x\ny' }
		];
		expect(await all([stream])).toEqual(expected);
		expect(await all(stream.split(''))).toEqual(expected);
	});

	it('keeps multi-byte characters split across chunks intact', async () => {
		const bytes = new TextEncoder().encode('data: héllo 🔥\n\n');
		const parts = [bytes.slice(0, 8), bytes.slice(8, 15), bytes.slice(15)];
		const stream = new ReadableStream({
			start(c) {
				for (const p of parts) c.enqueue(p);
				c.close();
			}
		});
		const events = [];
		for await (const e of parseSse(stream)) events.push(e);
		expect(events).toEqual([{ id: null, event: 'message', data: 'héllo 🔥' }]);
	});
});
