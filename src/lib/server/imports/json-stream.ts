// Reads a JSON document as a stream of records, so an export of hundreds of megabytes is never
// held in memory: the elements of a top-level array one at a time, or those of one named array
// property of a top-level object (Hearth's `{ "format", "version", "conversations": [...] }`).
import type { Readable } from 'node:stream';
import parser from 'stream-json/parser.js';
import Assembler from 'stream-json/assembler.js';

export type JsonRecord =
	/** The keys of a top-level object read before its streamed array property began. */
	| { kind: 'header'; value: Record<string, unknown> }
	/** One element of the top-level array, or of the streamed array property. */
	| { kind: 'element'; value: unknown }
	/** A top-level object without the streamed property, whole. */
	| { kind: 'document'; value: Record<string, unknown> };

export class JsonShapeError extends Error {}

type Token = parser.Token;
const VALUE_STARTS = new Set([
	'startObject',
	'startArray',
	'stringValue',
	'numberValue',
	'nullValue',
	'trueValue',
	'falseValue'
]);

/**
 * Yields the records of the JSON text in `input`. With `skipAfterFirst` only the first element is
 * built; the others are yielded as undefined, which checks the whole text cheaply (to count it). Invalid JSON throws (stream-json's message);
 * a top-level value that is neither an array nor an object throws a JsonShapeError.
 */
export async function* readJsonRecords(
	input: Readable,
	arrayKey: string,
	options: { skipAfterFirst?: boolean } = {}
): AsyncGenerator<JsonRecord> {
	const tokens = input.pipe(parser.asStream({ streamValues: false }));
	input.on('error', (error) => tokens.destroy(error));
	let top: 'array' | 'object' | null = null;
	let streaming = false;
	let sawArrayKey = false;
	let finished = false;
	let key: string | null = null;
	const header: Record<string, unknown> = {};
	let asm: Assembler | null = null;
	/** skipElements: nesting depth inside the element being skipped (0: none). */
	let skipDepth = 0;
	let elements = 0;

	const finishValue = (value: unknown): JsonRecord | null => {
		if (top === 'array' || streaming) {
			elements++;
			return { kind: 'element', value };
		}
		if (key !== null) header[key] = value;
		return null;
	};

	for await (const token of tokens as AsyncIterable<Token>) {
		if (finished) throw new JsonShapeError('Unexpected data after the end of the JSON document');
		if (skipDepth > 0) {
			if (token.name === 'startObject' || token.name === 'startArray') skipDepth++;
			else if (token.name === 'endObject' || token.name === 'endArray') skipDepth--;
			if (skipDepth === 0) yield { kind: 'element', value: undefined };
			continue;
		}
		if (asm) {
			asm.consume(token);
			if (asm.done) {
				const record = finishValue(asm.current);
				asm = null;
				if (record) yield record;
			}
			continue;
		}
		if (top === null) {
			if (token.name === 'startArray') top = 'array';
			else if (token.name === 'startObject') top = 'object';
			else throw new JsonShapeError('The file holds a single JSON value, not an export');
			continue;
		}
		if (token.name === 'endArray' && (top === 'array' || streaming)) {
			if (top === 'array') finished = true;
			streaming = false;
			continue;
		}
		if (token.name === 'endObject' && top === 'object' && !streaming) {
			finished = true;
			continue;
		}
		if (token.name === 'keyValue' && top === 'object' && !streaming) {
			key = token.value;
			continue;
		}
		if (!VALUE_STARTS.has(token.name)) continue;
		if (top === 'object' && !streaming && key === arrayKey && token.name === 'startArray') {
			streaming = true;
			sawArrayKey = true;
			yield { kind: 'header', value: { ...header } };
			continue;
		}
		if (options.skipAfterFirst && elements > 0 && (top === 'array' || streaming)) {
			if (token.name === 'startObject' || token.name === 'startArray') skipDepth = 1;
			else yield { kind: 'element', value: undefined };
			continue;
		}
		asm = new Assembler();
		asm.consume(token);
		if (asm.done) {
			const record = finishValue(asm.current);
			asm = null;
			if (record) yield record;
		}
	}
	if (!finished) throw new JsonShapeError('The JSON document ends early');
	if (top === 'object' && !sawArrayKey) yield { kind: 'document', value: header };
}
