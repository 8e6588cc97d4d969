// Reads a GGUF file's header (magic, version, metadata) without loading it: the check that a
// downloaded file is GGUF at all, and the quantisation and context size Admin → Local models
// shows. Large arrays (the tokenizer's vocabulary) are skipped, not kept.
import fs from 'node:fs/promises';

export class GgufError extends Error {
	override name = 'GgufError';
}

export interface GgufInfo {
	version: number;
	architecture: string | null;
	quantisation: string | null;
	contextLength: number | null;
}

const MAGIC = 'GGUF';
const SUPPORTED_VERSIONS = [2, 3];
/** A header with more entries than this is not one llama.cpp wrote. */
const MAX_KV_COUNT = 100_000;
const MAX_STRING_BYTES = 64 * 1024 * 1024;
const WINDOW_BYTES = 1024 * 1024;

/** llama.cpp's `general.file_type` (enum llama_ftype) names. */
const FILE_TYPES: Record<number, string> = {
	0: 'F32',
	1: 'F16',
	2: 'Q4_0',
	3: 'Q4_1',
	7: 'Q8_0',
	8: 'Q5_0',
	9: 'Q5_1',
	10: 'Q2_K',
	11: 'Q3_K_S',
	12: 'Q3_K_M',
	13: 'Q3_K_L',
	14: 'Q4_K_S',
	15: 'Q4_K_M',
	16: 'Q5_K_S',
	17: 'Q5_K_M',
	18: 'Q6_K',
	19: 'IQ2_XXS',
	20: 'IQ2_XS',
	21: 'Q2_K_S',
	22: 'IQ3_XS',
	23: 'IQ3_XXS',
	24: 'IQ1_S',
	25: 'IQ4_NL',
	26: 'IQ3_S',
	27: 'IQ3_M',
	28: 'IQ2_S',
	29: 'IQ2_M',
	30: 'IQ4_XS',
	31: 'IQ1_M',
	32: 'BF16',
	36: 'TQ1_0',
	37: 'TQ2_0'
};

/** Sizes of the fixed-width GGUF value types, by type id. */
const FIXED: Record<number, number> = {
	0: 1,
	1: 1,
	2: 2,
	3: 2,
	4: 4,
	5: 4,
	6: 4,
	7: 1,
	10: 8,
	11: 8,
	12: 8
};
const STRING = 8;
const ARRAY = 9;

/** Sequential reads over a file through a window, so a skipped vocabulary costs no memory. */
class Reader {
	private buffer = Buffer.alloc(0);
	private start = 0; // file offset of buffer[0]
	private at = 0; // file offset of the next byte

	constructor(
		private readonly file: fs.FileHandle,
		private readonly size: number
	) {}

	private async need(n: number) {
		if (this.at + n > this.size) throw new GgufError('the file ends inside its header');
		if (this.at >= this.start && this.at + n <= this.start + this.buffer.length) return;
		const length = Math.min(Math.max(n, WINDOW_BYTES), this.size - this.at);
		this.buffer = Buffer.alloc(length);
		await this.file.read(this.buffer, 0, length, this.at);
		this.start = this.at;
	}

	async bytes(n: number): Promise<Buffer> {
		await this.need(n);
		const from = this.at - this.start;
		this.at += n;
		return this.buffer.subarray(from, from + n);
	}

	skip(n: number) {
		if (this.at + n > this.size) throw new GgufError('the file ends inside its header');
		this.at += n;
	}

	u32 = async () => (await this.bytes(4)).readUInt32LE(0);
	u64 = async () => {
		const value = (await this.bytes(8)).readBigUInt64LE(0);
		if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError('a count is out of range');
		return Number(value);
	};
	async string(): Promise<string> {
		const length = await this.u64();
		if (length > MAX_STRING_BYTES) throw new GgufError('a string is too long');
		return (await this.bytes(length)).toString('utf8');
	}
}

async function readValue(reader: Reader, type: number): Promise<unknown> {
	if (type === STRING) return reader.string();
	const width = FIXED[type];
	if (width !== undefined) {
		const b = await reader.bytes(width);
		switch (type) {
			case 4:
				return b.readUInt32LE(0);
			case 5:
				return b.readInt32LE(0);
			case 10:
				return Number(b.readBigUInt64LE(0));
			default:
				return null; // not needed here
		}
	}
	if (type === ARRAY) {
		const itemType = await reader.u32();
		const count = await reader.u64();
		const itemWidth = FIXED[itemType];
		if (itemWidth !== undefined) reader.skip(itemWidth * count);
		else if (itemType === STRING) for (let i = 0; i < count; i++) reader.skip(await reader.u64());
		else throw new GgufError(`an array of type ${itemType} is not valid GGUF`);
		return null;
	}
	throw new GgufError(`value type ${type} is not valid GGUF`);
}

/** The header of the GGUF file at `path`; throws GgufError when it is not a GGUF file. */
export async function readGgufInfo(path: string): Promise<GgufInfo> {
	const file = await fs.open(path, 'r');
	try {
		const { size } = await file.stat();
		const reader = new Reader(file, size);
		if (size < 24 || (await reader.bytes(4)).toString('latin1') !== MAGIC)
			throw new GgufError('the file does not start with the GGUF signature');
		const version = await reader.u32();
		if (!SUPPORTED_VERSIONS.includes(version))
			throw new GgufError(`GGUF version ${version} is not supported`);
		await reader.u64(); // tensor count
		const kvCount = await reader.u64();
		if (kvCount > MAX_KV_COUNT) throw new GgufError('the header has too many entries');
		const kv = new Map<string, unknown>();
		for (let i = 0; i < kvCount; i++) {
			const key = await reader.string();
			kv.set(key, await readValue(reader, await reader.u32()));
		}
		const architecture =
			typeof kv.get('general.architecture') === 'string'
				? (kv.get('general.architecture') as string)
				: null;
		const fileType = kv.get('general.file_type');
		const context = architecture ? kv.get(`${architecture}.context_length`) : undefined;
		return {
			version,
			architecture,
			quantisation: typeof fileType === 'number' ? (FILE_TYPES[fileType] ?? null) : null,
			contextLength: typeof context === 'number' ? context : null
		};
	} finally {
		await file.close();
	}
}
