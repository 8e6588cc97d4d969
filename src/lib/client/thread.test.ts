import { describe, expect, it } from 'vitest';
import { choicesFor, threadOf } from '$lib/client/thread';
import type { MessageDto } from '$lib/shared/dto';

const msg = (
	id: number,
	parentId: number | null,
	role: MessageDto['role'] = 'user'
): MessageDto => ({
	id,
	parentId,
	role,
	content: `m${id}`,
	status: 'done',
	model: null,
	createdAt: id
});

// 1 → 2 → 3 → 4, 3 → 6 (regenerated), 2 → 5 (edited) → 7
const tree = [
	msg(1, null),
	msg(2, 1, 'assistant'),
	msg(3, 2),
	msg(4, 3, 'assistant'),
	msg(5, 2),
	msg(6, 3, 'assistant'),
	msg(7, 5, 'assistant')
];

describe('thread', () => {
	it('shows the newest sibling at each fork by default', () => {
		const thread = threadOf(tree, {});
		expect(thread.map((e) => e.message.id)).toEqual([1, 2, 5, 7]);
		expect(thread[2]).toMatchObject({ siblings: [3, 5], index: 1 });
	});

	it('starts at the oldest loaded message when only the newest page of a long one is loaded', () => {
		// Messages 1 and 2 are on an earlier page: 3 and 5 (siblings under 2) start the thread.
		const page = tree.filter((m) => m.id > 2);
		expect(threadOf(page, {}).map((e) => e.message.id)).toEqual([5, 7]);
		expect(threadOf(page, { '2': 3 }).map((e) => e.message.id)).toEqual([3, 6]);
	});

	it('follows chosen siblings, then the newest below them', () => {
		const thread = threadOf(tree, { '2': 3 });
		expect(thread.map((e) => e.message.id)).toEqual([1, 2, 3, 6]);
		expect(thread[3]).toMatchObject({ siblings: [4, 6], index: 1 });
		expect(threadOf(tree, { '2': 3, '3': 4 }).map((e) => e.message.id)).toEqual([1, 2, 3, 4]);
	});

	it('choicesFor puts a message and its ancestors on screen', () => {
		const choices = choicesFor(tree, 4);
		expect(threadOf(tree, choices).map((e) => e.message.id)).toEqual([1, 2, 3, 4]);
	});

	it('ignores choices that name no sibling', () => {
		expect(threadOf(tree, { '2': 999 }).map((e) => e.message.id)).toEqual([1, 2, 5, 7]);
		expect(threadOf([], {})).toEqual([]);
	});
});
