import { describe, expect, it } from 'vitest';
import { planTree } from '$lib/server/imports/tree';
import type { ImportedMessage } from '$lib/server/imports/types';

const m = (sourceId: string, parentSourceId: string | null, createdAt = 0): ImportedMessage => ({
	sourceId,
	parentSourceId,
	role: 'user',
	content: sourceId,
	model: null,
	createdAt
});

const order = (messages: ImportedMessage[]) => messages.map((x) => x.sourceId);

describe('planTree', () => {
	it('puts parents first and the current branch last among its siblings', () => {
		const plan = planTree([m('c', 'a', 3), m('b', 'a', 2), m('a', null, 1), m('d', 'b', 4)], 'b');
		expect(order(plan.messages)).toEqual(['a', 'c', 'b', 'd']);
		expect(plan.cut).toBe(0);
	});

	it('cuts cyclic and dangling parent links and drops duplicate ids', () => {
		const plan = planTree(
			[
				m('r', null),
				m('x', 'y'),
				m('y', 'z'),
				m('z', 'x'),
				m('lost', 'nowhere'),
				m('self', 'self'),
				m('r', 'x')
			],
			null
		);
		expect(plan.messages).toHaveLength(6);
		expect(plan.cut).toBe(3);
		const seen = new Set<string>();
		for (const x of plan.messages) {
			if (x.parentSourceId !== null) expect(seen.has(x.parentSourceId)).toBe(true);
			seen.add(x.sourceId);
		}
	});
});
