// The wrapper every provider gets (llm/guard.ts), against scripted adapters: the faults a real
// server cannot be made to produce on demand (an adapter that ignores its signal, endless output).
import { describe, expect, it, vi } from 'vitest';
import { estimateTokens, guardStream, type StreamGuard } from '$lib/server/llm/guard';
import type { ChatEvent, ChatRequest } from '$lib/server/llm/types';

const REQUEST: ChatRequest = {
	model: 'm',
	messages: [{ role: 'user', content: 'Tell me a story' }]
};
const GUARD: StreamGuard = {
	firstTokenTimeoutMs: 60_000,
	idleTimeoutMs: 60_000,
	maxOutputChars: 1_000
};

/** An adapter from a script; it never looks at its signal (the worst case the wrapper must cover). */
function scripted(script: () => AsyncGenerator<ChatEvent>) {
	return { name: 'Scripted', streamChat: () => script() };
}
const never = () => new Promise<never>(() => {});

async function collect(
	adapter: ReturnType<typeof scripted>,
	guard: Partial<StreamGuard> = {},
	signal = new AbortController().signal
) {
	const events: ChatEvent[] = [];
	for await (const e of guardStream(adapter, REQUEST, signal, { ...GUARD, ...guard }))
		events.push(e);
	return events;
}

describe('guardStream', () => {
	it('passes a clean stream through, its own usage included', async () => {
		const events = await collect(
			scripted(async function* () {
				yield { type: 'text', text: 'Once' };
				yield { type: 'finish', reason: 'stop' };
				yield { type: 'usage', promptTokens: 7, completionTokens: 1 };
			})
		);
		expect(events).toEqual([
			{ type: 'text', text: 'Once' },
			{ type: 'finish', reason: 'stop' },
			{ type: 'usage', promptTokens: 7, completionTokens: 1 }
		]);
	});

	it('estimates the usage, marked as such, when the provider reports none', async () => {
		const text = 'x'.repeat(40);
		const events = await collect(
			scripted(async function* () {
				yield { type: 'text', text };
				yield { type: 'finish', reason: 'stop' };
			})
		);
		expect(events.at(-1)).toEqual({
			type: 'usage',
			promptTokens: estimateTokens(REQUEST.messages[0]!.content.length),
			completionTokens: estimateTokens(text.length),
			estimated: true
		});
	});

	it('does not count a model load (llama.cpp router) against the first-token timeout', async () => {
		let loaded!: () => void;
		const loading = new Promise<void>((r) => (loaded = r));
		const seen: ChatEvent[] = [];
		const adapter = scripted(async function* () {
			yield { type: 'status', status: 'loading_model' };
			await loading;
			yield { type: 'status', status: 'model_loaded' };
			yield { type: 'text', text: 'Hello' };
			yield { type: 'finish', reason: 'stop' };
			yield { type: 'usage', promptTokens: 3, completionTokens: 1 };
		});
		const run = (async () => {
			const signal = new AbortController().signal;
			for await (const e of guardStream(adapter, REQUEST, signal, {
				...GUARD,
				firstTokenTimeoutMs: 20
			}))
				seen.push(e);
		})();
		// Many watchdog checks pass while the model loads; none may fire.
		await vi.waitFor(() => expect(seen).toHaveLength(1));
		const checks = Date.now() + 200;
		await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(checks), { timeout: 1_000 });
		loaded();
		await run;
		expect(seen.map((e) => e.type)).toEqual(['status', 'status', 'text', 'finish', 'usage']);
	});

	it('times out a model load that leaves the first token waiting after it', async () => {
		const events = await collect(
			scripted(async function* () {
				yield { type: 'status', status: 'loading_model' };
				yield { type: 'status', status: 'model_loaded' };
				await never();
			}),
			{ firstTokenTimeoutMs: 20 }
		);
		expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'timeout' } });
	});

	it('times out a first token that never comes, even from an adapter that ignores the abort', async () => {
		const events = await collect(
			scripted(async function* () {
				await never();
				yield { type: 'text', text: 'never sent' };
			}),
			{ firstTokenTimeoutMs: 20 }
		);
		expect(events).toEqual([
			{
				type: 'error',
				error: {
					code: 'timeout',
					retryable: true,
					message: 'Scripted did not start answering within 0 s'
				}
			}
		]);
	});

	it('times out a stream that goes quiet after its first token, keeping what came', async () => {
		const events = await collect(
			scripted(async function* () {
				yield { type: 'text', text: 'Once' };
				await never();
			}),
			{ idleTimeoutMs: 20 }
		);
		expect(events.map((e) => e.type)).toEqual(['text', 'error']);
		expect(events[1]).toMatchObject({ error: { code: 'timeout', message: /stopped sending/ } });
	});

	it('stops an endless stream past the size cap with a readable error', async () => {
		const events = await collect(
			scripted(async function* () {
				for (;;) yield { type: 'text', text: 'y'.repeat(100) };
			}),
			{ maxOutputChars: 1_000 }
		);
		expect(events).toHaveLength(12);
		expect(events.at(-1)).toMatchObject({ error: { code: 'too_large', retryable: false } });
	});

	it('ends quietly when the caller aborts, while the adapter is still waiting', async () => {
		const controller = new AbortController();
		const events: ChatEvent[] = [];
		const adapter = scripted(async function* () {
			yield { type: 'text', text: 'Once' };
			await never();
		});
		for await (const e of guardStream(adapter, REQUEST, controller.signal, GUARD)) {
			events.push(e);
			controller.abort();
		}
		expect(events).toEqual([{ type: 'text', text: 'Once' }]);
	});
});
