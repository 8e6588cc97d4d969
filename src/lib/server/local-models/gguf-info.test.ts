// The GGUF header reader: the facts Admin → Local models shows, and the check that refuses
// anything else before it reaches llama-server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTestModel } from '../../../../llama/test-model';
import { GgufError, readGgufInfo } from '$lib/server/local-models/gguf-info';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-gguf-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array) {
	const full = path.join(dir, name);
	fs.writeFileSync(full, bytes);
	return full;
}

describe('readGgufInfo', () => {
	it('reads architecture, quantisation and context length, skipping the vocabulary', async () => {
		const info = await readGgufInfo(file('m.gguf', generateTestModel({ contextLength: 2048 })));
		expect(info).toEqual({
			version: 3,
			architecture: 'llama',
			quantisation: 'F32',
			contextLength: 2048
		});
	});

	it('refuses what is not GGUF: another format, a truncated header, an unknown version', async () => {
		const model = Buffer.from(generateTestModel());
		const cases = {
			html: Buffer.from('<!doctype html><title>Not found</title>'.padEnd(64, ' ')),
			truncated: model.subarray(0, 200),
			version: Buffer.concat([model.subarray(0, 4), Buffer.from([9, 0, 0, 0]), model.subarray(8)])
		};
		for (const [name, bytes] of Object.entries(cases))
			await expect(readGgufInfo(file(`${name}.gguf`, bytes)), name).rejects.toBeInstanceOf(
				GgufError
			);
	});
});
