import { describe, expect, it } from 'vitest';
import {
	capHistory,
	fitContext,
	MAX_HISTORY_CHARS,
	type CountedTurn
} from '$lib/server/jobs/history';
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

describe('fitContext', () => {
	/** A turn: id, role by parity (even: user), size in tokens. */
	const t = (id: number, tokens: number): CountedTurn<ChatMessage> => ({
		id,
		message: { role: id % 2 === 0 ? 'user' : 'assistant', content: `m${id}` },
		tokens
	});
	const system: CountedTurn<ChatMessage> = {
		id: null,
		message: { role: 'system', content: 'S' },
		tokens: 50
	};

	const cases: {
		name: string;
		history: number[];
		newest: number;
		window: number;
		reply: number;
		sent: number[];
		omitted: number[];
	}[] = [
		{
			name: 'everything fits',
			history: [100, 100, 100],
			newest: 100,
			window: 1000,
			reply: 100,
			sent: [0, 1, 2, 3],
			omitted: []
		},
		{
			name: 'exactly full still sends all',
			history: [100, 100, 100],
			newest: 100,
			window: 550,
			reply: 100,
			sent: [0, 1, 2, 3],
			omitted: []
		},
		{
			name: 'one token over leaves out the oldest',
			history: [100, 100, 100],
			newest: 100,
			window: 549,
			reply: 100,
			// 0 goes; 1 (a reply) would then open the history, so it goes too.
			sent: [2, 3],
			omitted: [0, 1]
		},
		{
			name: 'a large old turn stops the run even if older small ones would fit',
			history: [10, 10, 500, 100, 100],
			newest: 100,
			window: 600,
			reply: 100,
			sent: [4, 5],
			omitted: [0, 1, 2, 3]
		},
		{
			name: 'the reply budget counts',
			history: [100, 100, 100],
			newest: 100,
			window: 550,
			reply: 301,
			sent: [3],
			omitted: [0, 1, 2]
		},
		{
			name: 'no history',
			history: [],
			newest: 400,
			window: 550,
			reply: 100,
			sent: [0],
			omitted: []
		}
	];

	it.each(cases)('$name', ({ history, newest, window, reply, sent, omitted }) => {
		const turns = history.map((tokens, i) => t(i, tokens));
		const tail = [t(history.length, newest)];
		const fit = fitContext({ system: [system], history: turns, tail, window, replyBudget: reply });
		if (!fit.ok) throw new Error('expected a fit');
		expect(fit.messages[0]).toBe(system.message);
		expect(fit.messages.slice(1).map((m) => Number(m.content.slice(1)))).toEqual(sent);
		expect(fit.omitted).toEqual(omitted);
		const kept = [...turns, ...tail].filter((turn) => sent.includes(turn.id!));
		expect(fit.used).toBe(50 + kept.reduce((sum, turn) => sum + turn.tokens, 0));
		expect(fit.used).toBeLessThanOrEqual(window - reply);
	});

	it('refuses a newest message that alone does not fit, with the figures', () => {
		const fit = fitContext({
			system: [system],
			history: [t(0, 10)],
			tail: [t(1, 600)],
			window: 700,
			replyBudget: 100
		});
		expect(fit).toEqual({ ok: false, needed: 650, available: 600 });
	});

	it('never leaves out the tail of a Continue (the question and the partial reply)', () => {
		const fit = fitContext({
			system: [],
			history: [t(0, 100), t(1, 100)],
			tail: [t(2, 100), { id: null, message: { role: 'assistant', content: 'part' }, tokens: 100 }],
			window: 350,
			replyBudget: 100
		});
		expect(fit.ok && fit.messages.map((m) => m.content)).toEqual(['m2', 'part']);
		expect(fit.ok && fit.omitted).toEqual([0, 1]);
	});
});
