// Generates a tiny llama-architecture GGUF model with seeded random weights, so llama-server can
// run real inference in tests on a machine that cannot download weights. Its output is random
// tokens, including byte tokens that form invalid UTF-8 — which the app must survive.
import { writeGguf, type GgufTensor, type GgufValue } from './gguf';

export interface TestModelOptions {
	embedding?: number;
	blocks?: number;
	heads?: number;
	feedForward?: number;
	contextLength?: number;
	seed?: number;
}

const SPACE = '\u2581'; // SentencePiece's word boundary
const WORDS = ['the', 'and', 'hearth', 'fire', 'warm', 'home', 'llama', 'model', 'reply', 'token'];

/** Chat template rendered by llama-server's Jinja engine (--jinja). */
export const TEST_CHAT_TEMPLATE =
	"{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}" +
	'{% if add_generation_prompt %}<|assistant|>\n{% endif %}';

function vocabulary() {
	const tokens = ['<unk>', '<s>', '</s>'];
	const types = [2, 3, 3]; // unknown, control, control
	for (let b = 0; b < 256; b++) {
		tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
		types.push(6); // byte
	}
	const pieces = new Set<string>([SPACE]);
	for (let c = 97; c <= 122; c++)
		pieces.add(String.fromCharCode(c)).add(SPACE + String.fromCharCode(c));
	for (const word of WORDS) pieces.add(SPACE + word);
	for (const piece of pieces) {
		tokens.push(piece);
		types.push(1); // normal
	}
	// Longer pieces score higher so SentencePiece merges prefer them.
	const scores = tokens.map((t, i) => (types[i] === 1 ? -1000 + t.length * 10 : 0));
	return { tokens, types, scores };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function mulberry32(seed: number) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export function generateTestModel(options: TestModelOptions = {}): Buffer {
	const n = {
		embd: options.embedding ?? 64,
		blocks: options.blocks ?? 2,
		heads: options.heads ?? 4,
		ff: options.feedForward ?? 128,
		ctx: options.contextLength ?? 2048
	};
	const headDim = n.embd / n.heads;
	if (!Number.isInteger(headDim)) throw new Error('embedding must be a multiple of heads');
	const { tokens, types, scores } = vocabulary();
	const random = mulberry32(options.seed ?? 42);
	const tensor = (name: string, dims: number[], init: 'random' | 'ones'): GgufTensor => {
		const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
		const scale = 1 / Math.sqrt(dims[0]!);
		for (let i = 0; i < data.length; i++)
			data[i] = init === 'ones' ? 1 : (random() * 2 - 1) * scale * 2;
		return { name, dims, data };
	};
	const tensors: GgufTensor[] = [
		tensor('token_embd.weight', [n.embd, tokens.length], 'random'),
		tensor('output_norm.weight', [n.embd], 'ones'),
		tensor('output.weight', [n.embd, tokens.length], 'random')
	];
	for (let b = 0; b < n.blocks; b++) {
		tensors.push(
			tensor(`blk.${b}.attn_norm.weight`, [n.embd], 'ones'),
			tensor(`blk.${b}.attn_q.weight`, [n.embd, n.embd], 'random'),
			tensor(`blk.${b}.attn_k.weight`, [n.embd, n.embd], 'random'),
			tensor(`blk.${b}.attn_v.weight`, [n.embd, n.embd], 'random'),
			tensor(`blk.${b}.attn_output.weight`, [n.embd, n.embd], 'random'),
			tensor(`blk.${b}.ffn_norm.weight`, [n.embd], 'ones'),
			tensor(`blk.${b}.ffn_gate.weight`, [n.embd, n.ff], 'random'),
			tensor(`blk.${b}.ffn_up.weight`, [n.embd, n.ff], 'random'),
			tensor(`blk.${b}.ffn_down.weight`, [n.ff, n.embd], 'random')
		);
	}
	const u32 = (value: number): GgufValue => ({ type: 'u32', value });
	const metadata: Record<string, GgufValue> = {
		'general.architecture': { type: 'string', value: 'llama' },
		'general.name': { type: 'string', value: 'hearth-test-model' },
		'general.file_type': u32(0),
		'llama.context_length': u32(n.ctx),
		'llama.embedding_length': u32(n.embd),
		'llama.block_count': u32(n.blocks),
		'llama.feed_forward_length': u32(n.ff),
		'llama.attention.head_count': u32(n.heads),
		'llama.attention.head_count_kv': u32(n.heads),
		'llama.rope.dimension_count': u32(headDim),
		'llama.attention.layer_norm_rms_epsilon': { type: 'f32', value: 1e-5 },
		'tokenizer.ggml.model': { type: 'string', value: 'llama' },
		'tokenizer.ggml.pre': { type: 'string', value: 'default' },
		'tokenizer.ggml.tokens': { type: 'array', itemType: 'string', values: tokens },
		'tokenizer.ggml.scores': { type: 'array', itemType: 'f32', values: scores },
		'tokenizer.ggml.token_type': { type: 'array', itemType: 'i32', values: types },
		'tokenizer.ggml.unknown_token_id': u32(0),
		'tokenizer.ggml.bos_token_id': u32(1),
		'tokenizer.ggml.eos_token_id': u32(2),
		'tokenizer.ggml.add_bos_token': { type: 'bool', value: true },
		'tokenizer.chat_template': { type: 'string', value: TEST_CHAT_TEMPLATE }
	};
	return writeGguf(metadata, tensors);
}
