import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJsonRecords, type JsonRecord } from '$lib/server/imports/json-stream';

/** The text cut into 3-byte chunks, so tokens straddle chunk boundaries. */
const chunked = (text: string) => {
	const bytes = Buffer.from(text);
	const chunks: Buffer[] = [];
	for (let i = 0; i < bytes.length; i += 3) chunks.push(bytes.subarray(i, i + 3));
	return Readable.from(chunks);
};

async function records(text: string, options = {}): Promise<JsonRecord[]> {
	const out: JsonRecord[] = [];
	for await (const r of readJsonRecords(chunked(text), 'conversations', options)) out.push(r);
	return out;
}

describe('readJsonRecords', () => {
	it('streams the elements of a top-level array, whatever their type', async () => {
		expect(await records('[{"a":1,"b":[1,"é"]}, 2, "x", null, [true]]')).toEqual([
			{ kind: 'element', value: { a: 1, b: [1, 'é'] } },
			{ kind: 'element', value: 2 },
			{ kind: 'element', value: 'x' },
			{ kind: 'element', value: null },
			{ kind: 'element', value: [true] }
		]);
	});

	it('streams a named array property after a header of the keys before it', async () => {
		const text = '{"format":"hearth","version":1,"conversations":[{"id":1},{"id":2}],"after":true}';
		expect(await records(text)).toEqual([
			{ kind: 'header', value: { format: 'hearth', version: 1 } },
			{ kind: 'element', value: { id: 1 } },
			{ kind: 'element', value: { id: 2 } }
		]);
	});

	it('gives an object without that property whole', async () => {
		expect(await records('{"conversationId":"c","messages":[{"x":1}]}')).toEqual([
			{ kind: 'document', value: { conversationId: 'c', messages: [{ x: 1 }] } }
		]);
	});

	it('builds only the first element when asked to skip the rest (counting)', async () => {
		const got = await records('[{"a":{"b":[1,2]}},{"c":[[],{}]},3]', { skipAfterFirst: true });
		expect(got).toEqual([
			{ kind: 'element', value: { a: { b: [1, 2] } } },
			{ kind: 'element', value: undefined },
			{ kind: 'element', value: undefined }
		]);
	});

	it('throws on invalid, truncated or scalar JSON', async () => {
		await expect(records('[{"a":1},{"b":')).rejects.toThrow();
		await expect(records('[{"a":1} {"b":2}]')).rejects.toThrow();
		await expect(records('"just a string"')).rejects.toThrow(/single JSON value/);
		await expect(records('[1] [2]')).rejects.toThrow();
	});
});
