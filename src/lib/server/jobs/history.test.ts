import { describe, expect, it } from 'vitest';
import { capHistory, MAX_HISTORY_CHARS } from '$lib/server/jobs/history';
import type { ChatMessage } from '$lib/server/llm/types';

const turn = (i: number, chars: number): ChatMessage => ({
	role: i % 2 === 0 ? 'user' : 'assistant',
	content: `${i}:`.padEnd(chars, 'x')
});

describe('capHistory', () => {
	it('keeps a normal conversation whole', () => {
		const messages = [
			{ role: 'system' as const, content: 'Be brief.' },
			turn(0, 100),
			turn(1, 100),
			turn(2, 100)
		];
		expect(capHistory(messages)).toEqual(messages);
	});

	it('drops the oldest turns of a huge one, keeping the system prompt and the newest message', () => {
		const system: ChatMessage = { role: 'system', content: 'S'.repeat(20_000) };
		// 300 messages of 100k characters, as in the report: 30 MB.
		const messages = [system, ...Array.from({ length: 301 }, (_, i) => turn(i, 100_000))];
		const capped = capHistory(messages);
		const chars = capped.reduce((sum, m) => sum + m.content.length, 0);
		expect(chars).toBeLessThanOrEqual(MAX_HISTORY_CHARS);
		expect(capped[0]).toBe(system);
		expect(capped.at(-1)).toBe(messages.at(-1));
		expect(capped[1]!.role).toBe('user');
		// What is kept is the newest contiguous run, in order.
		const kept = capped.slice(1).map((m) => Number(m.content.split(':')[0]));
		expect(kept).toEqual(kept.map((_, i) => 300 - kept.length + 1 + i));
	});

	it('sends the newest message even when it alone is over the cap', () => {
		const messages = [turn(0, 10), turn(1, 10), turn(2, 50)];
		expect(capHistory(messages, 40)).toEqual([messages[2]]);
	});
});
