// A small GGUF v3 writer: metadata key/values and F32 tensors, laid out as llama.cpp reads them
// (header, KVs, tensor infos, padding to general.alignment, aligned tensor data).
const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

const TYPE = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;
const GGML_TYPE_F32 = 0;

export type GgufValue =
	| { type: 'u32' | 'i32' | 'f32'; value: number }
	| { type: 'bool'; value: boolean }
	| { type: 'string'; value: string }
	| { type: 'array'; itemType: 'string'; values: string[] }
	| { type: 'array'; itemType: 'f32' | 'i32'; values: ArrayLike<number> };

export interface GgufTensor {
	name: string;
	/** ggml order: ne[0] is the innermost (contiguous) dimension. */
	dims: number[];
	data: Float32Array;
}

class ByteWriter {
	private buffer = Buffer.alloc(1 << 16);
	length = 0;

	private reserve(n: number) {
		if (this.length + n <= this.buffer.length) return;
		let size = this.buffer.length * 2;
		while (size < this.length + n) size *= 2;
		const next = Buffer.alloc(size);
		this.buffer.copy(next, 0, 0, this.length);
		this.buffer = next;
	}
	u32(v: number) {
		this.reserve(4);
		this.length = this.buffer.writeUInt32LE(v, this.length);
	}
	i32(v: number) {
		this.reserve(4);
		this.length = this.buffer.writeInt32LE(v, this.length);
	}
	u64(v: number) {
		this.reserve(8);
		this.length = this.buffer.writeBigUInt64LE(BigInt(v), this.length);
	}
	f32(v: number) {
		this.reserve(4);
		this.length = this.buffer.writeFloatLE(v, this.length);
	}
	u8(v: number) {
		this.reserve(1);
		this.length = this.buffer.writeUInt8(v, this.length);
	}
	string(s: string) {
		const bytes = Buffer.from(s, 'utf8');
		this.u64(bytes.length);
		this.bytes(bytes);
	}
	bytes(b: Uint8Array) {
		this.reserve(b.length);
		this.buffer.set(b, this.length);
		this.length += b.length;
	}
	pad(alignment: number) {
		const n = (alignment - (this.length % alignment)) % alignment;
		this.reserve(n);
		this.length += n; // Buffer.alloc zero-fills
	}
	result(): Buffer {
		return this.buffer.subarray(0, this.length);
	}
}

function writeValue(w: ByteWriter, value: GgufValue) {
	switch (value.type) {
		case 'u32':
			return w.u32(value.value);
		case 'i32':
			return w.i32(value.value);
		case 'f32':
			return w.f32(value.value);
		case 'bool':
			return w.u8(value.value ? 1 : 0);
		case 'string':
			return w.string(value.value);
		case 'array': {
			w.u32(TYPE[value.itemType]);
			w.u64(value.values.length);
			if (value.itemType === 'string') for (const s of value.values) w.string(s);
			else if (value.itemType === 'f32')
				for (let i = 0; i < value.values.length; i++) w.f32(value.values[i]!);
			else for (let i = 0; i < value.values.length; i++) w.i32(value.values[i]!);
		}
	}
}

export function writeGguf(metadata: Record<string, GgufValue>, tensors: GgufTensor[]): Buffer {
	const w = new ByteWriter();
	w.u32(GGUF_MAGIC);
	w.u32(GGUF_VERSION);
	w.u64(tensors.length);
	const entries = Object.entries({
		...metadata,
		'general.alignment': { type: 'u32', value: GGUF_ALIGNMENT } as GgufValue
	});
	w.u64(entries.length);
	for (const [key, value] of entries) {
		w.string(key);
		w.u32(TYPE[value.type]);
		writeValue(w, value);
	}
	let offset = 0;
	for (const tensor of tensors) {
		const count = tensor.dims.reduce((a, b) => a * b, 1);
		if (count !== tensor.data.length) {
			throw new Error(
				`${tensor.name}: dims ${tensor.dims} need ${count} values, got ${tensor.data.length}`
			);
		}
		w.string(tensor.name);
		w.u32(tensor.dims.length);
		for (const d of tensor.dims) w.u64(d);
		w.u32(GGML_TYPE_F32);
		w.u64(offset);
		offset += Math.ceil(tensor.data.byteLength / GGUF_ALIGNMENT) * GGUF_ALIGNMENT;
	}
	w.pad(GGUF_ALIGNMENT);
	for (const tensor of tensors) {
		w.bytes(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
		w.pad(GGUF_ALIGNMENT);
	}
	return w.result();
}
