import { describe, expect, it } from 'vitest';
import { parseHearthExport } from '$lib/server/imports/hearth';
import type { ImportItem } from '$lib/server/imports/types';

async function parse(elements: unknown[]): Promise<ImportItem[]> {
	async function* each() {
		yield* elements;
	}
	const out: ImportItem[] = [];
	for await (const item of parseHearthExport(each())) out.push(item);
	return out;
}

const message = (id: number, parentId: number | null) => ({
	id,
	parentId,
	role: id % 2 ? 'user' : 'assistant',
	content: `m${id}`,
	reasoning: null,
	status: 'done',
	model: null,
	createdAt: 1,
	usage: null
});

const conversation = (id: number, messages: unknown[], extra: object = {}) => ({
	id,
	title: `c${id}`,
	createdAt: 1,
	updatedAt: 2,
	model: null,
	systemPrompt: null,
	settings: {},
	pinned: true,
	messages,
	...extra
});

describe('parseHearthExport', () => {
	it('a malformed element becomes a problem naming it; the rest are read', async () => {
		const items = await parse([
			'not an object',
			conversation(2, [message(1, null)], { title: 7 }),
			conversation(3, [message(1, null), message(2, 9)]),
			conversation(4, [message(1, null), message(1, null)]),
			conversation(5, [message(1, null)], { currentMessageId: 8 }),
			conversation(6, [message(1, null), message(2, 1)], { currentMessageId: 2 })
		]);
		expect(items.map((i) => (i.type === 'problem' ? i.problem : i.type))).toEqual([
			{ sourceId: null, title: null, message: expect.stringMatching(/^conversation: /) },
			{ sourceId: '2', title: null, message: expect.stringMatching(/^title: /) },
			{ sourceId: '3', title: 'c3', message: 'message 2: its parent 9 is not in the conversation' },
			{ sourceId: '4', title: 'c4', message: 'message 1 appears twice' },
			{ sourceId: '5', title: 'c5', message: 'currentMessageId 8 is not in the conversation' },
			'conversation'
		]);
		const last = items[5]!;
		expect(last.type === 'conversation' && last.conversation).toMatchObject({
			sourceId: '6',
			pinned: true,
			currentSourceId: '2',
			messages: [
				{ sourceId: '1', parentSourceId: null },
				{ sourceId: '2', parentSourceId: '1' }
			]
		});
	});

	it('a reply exported while still being written comes back interrupted', async () => {
		const [item] = await parse([
			conversation(1, [message(1, null), { ...message(2, 1), status: 'streaming' }])
		]);
		expect(item?.type === 'conversation' && item.conversation.messages[1]?.status).toBe(
			'interrupted'
		);
	});

	it('refuses an invalid role, status or settings', async () => {
		const items = await parse([
			conversation(1, [{ ...message(1, null), role: 'tool' }]),
			conversation(2, [{ ...message(1, null), status: 'weird' }]),
			conversation(3, [message(1, null)], { settings: { temperature: 9 } })
		]);
		expect(items.map((i) => i.type)).toEqual(['problem', 'problem', 'problem']);
	});
});
