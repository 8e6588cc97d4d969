// Images in each provider's own request format, checked against the protocol stubs: OpenAI's
// `image_url` parts with a data URL, Anthropic's base64 image blocks, and llama.cpp's server
// (a stub here: no projector can be generated for the test model) with vision read from /props.
import { afterEach, describe, expect, it } from 'vitest';
import {
	startAnthropicStub,
	startLlamaStub,
	startOpenAiStub,
	TINY_PNG_BASE64,
	type StubServer
} from '../../../../tests/support/stub-providers';
import { buildProvider } from '$lib/server/llm/registry';
import type { ChatMessage, Provider, ProviderKind } from '$lib/server/llm/types';
import { cloudModelSeesImages } from '$lib/server/llm/vision';

const MESSAGES: ChatMessage[] = [
	{ role: 'system', content: 'Be brief.' },
	{
		role: 'user',
		content: 'What does the receipt say?',
		images: [{ type: 'image/png', base64: TINY_PNG_BASE64 }]
	}
];

let stub: StubServer | null = null;
afterEach(async () => {
	await stub?.close();
	stub = null;
});

function provider(kind: ProviderKind, baseUrl: string): Provider {
	return buildProvider(
		{
			id: kind,
			kind,
			name: kind,
			baseUrl,
			apiKey: 'sk-test',
			allowInternal: true,
			maxConcurrency: null,
			enabledModels: [],
			source: 'admin'
		},
		{ firstTokenTimeoutMs: 5_000, idleTimeoutMs: 5_000 }
	);
}

async function send(p: Provider, model: string) {
	const events = [];
	for await (const event of p.streamChat(
		{ model, messages: MESSAGES },
		new AbortController().signal
	))
		events.push(event);
	expect(events.find((e) => e.type === 'error')).toBeUndefined();
}

const lastChatBody = (s: StubServer) =>
	s.requests.filter((r) => /chat\/completions|messages$/.test(r.path)).at(-1)?.body as Record<
		string,
		unknown
	>;

const OPENAI_MESSAGES = [
	{ role: 'system', content: 'Be brief.' },
	{
		role: 'user',
		content: [
			{ type: 'text', text: 'What does the receipt say?' },
			{ type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG_BASE64}` } }
		]
	}
];

describe('images in provider requests', () => {
	it('OpenAI: image_url content parts with a data URL', async () => {
		stub = await startOpenAiStub();
		await send(provider('openai', `${stub.url}/v1`), 'gpt-4o-mini');
		expect(lastChatBody(stub).messages).toEqual(OPENAI_MESSAGES);
	});

	it('Anthropic: base64 image blocks before the text, system apart', async () => {
		stub = await startAnthropicStub();
		await send(provider('anthropic', stub.url), 'claude-haiku-4-5');
		const body = lastChatBody(stub);
		expect(body.system).toBe('Be brief.');
		expect(body.messages).toEqual([
			{
				role: 'user',
				content: [
					{
						type: 'image',
						source: { type: 'base64', media_type: 'image/png', data: TINY_PNG_BASE64 }
					},
					{ type: 'text', text: 'What does the receipt say?' }
				]
			}
		]);
	});

	it('llama.cpp (stub server): image_url parts, and vision as /props modalities say', async () => {
		stub = await startLlamaStub({ vision: true });
		const llama = provider('llamacpp', `${stub.url}/v1`);
		await send(llama, 'default');
		expect(lastChatBody(stub).messages).toEqual(OPENAI_MESSAGES);
		const seeing = await llama.listModels();
		expect(seeing.models.every((m) => m.vision === true)).toBe(true);
		await stub.close();
		stub = await startLlamaStub({ vision: false });
		const blind = await provider('llamacpp', `${stub.url}/v1`).listModels();
		expect(blind.models.length).toBeGreaterThan(0);
		expect(blind.models.every((m) => m.vision === false)).toBe(true);
	});

	it('text-only messages keep the plain string form', async () => {
		stub = await startOpenAiStub();
		const p = provider('openai', `${stub.url}/v1`);
		for await (const _ of p.streamChat(
			{ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] },
			new AbortController().signal
		));
		expect(lastChatBody(stub).messages).toEqual([{ role: 'user', content: 'Hi' }]);
	});

	it('marks the cloud models known to take images', () => {
		expect(cloudModelSeesImages('openai', 'gpt-4o-mini')).toBe(true);
		expect(cloudModelSeesImages('openai', 'o3-mini')).toBe(false);
		expect(cloudModelSeesImages('openai', 'gpt-3.5-turbo')).toBe(false);
		expect(cloudModelSeesImages('anthropic', 'claude-haiku-4-5')).toBe(true);
		expect(cloudModelSeesImages('anthropic', 'claude-2.1')).toBe(false);
		expect(cloudModelSeesImages('openai_compatible', 'qwen2.5-vl-7b')).toBe(true);
		expect(cloudModelSeesImages('llamacpp', 'llava')).toBe(false);
	});
});
