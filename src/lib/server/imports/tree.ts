// Turns an imported conversation's messages into an insertion order for Hearth's tree: parents
// before children, dangling or cyclic parent links cut (the message becomes a root), duplicate
// ids dropped, and the branch ending at `currentSourceId` inserted last among its siblings, since
// Hearth shows the newest sibling when a conversation opens.
import type { ImportedMessage } from '$lib/server/imports/types';

export interface PlannedTree {
	messages: ImportedMessage[];
	/** Messages whose parent link had to be cut (unknown parent or a cycle). */
	cut: number;
}

export function planTree(input: ImportedMessage[], currentSourceId: string | null): PlannedTree {
	const byId = new Map<string, ImportedMessage>();
	for (const m of input) if (!byId.has(m.sourceId)) byId.set(m.sourceId, { ...m });
	let cut = 0;
	for (const m of byId.values()) {
		if (
			m.parentSourceId !== null &&
			(!byId.has(m.parentSourceId) || m.parentSourceId === m.sourceId)
		) {
			m.parentSourceId = null;
			cut++;
		}
	}
	// Cycles: walk up from each message; meeting the walk itself again means a loop, cut there.
	const state = new Map<string, 'walking' | 'done'>();
	for (const start of byId.values()) {
		const walk: ImportedMessage[] = [];
		let at: ImportedMessage | undefined = start;
		while (at && !state.has(at.sourceId)) {
			state.set(at.sourceId, 'walking');
			walk.push(at);
			const parent: ImportedMessage | undefined =
				at.parentSourceId === null ? undefined : byId.get(at.parentSourceId);
			if (parent && state.get(parent.sourceId) === 'walking') {
				at.parentSourceId = null;
				cut++;
				break;
			}
			at = parent;
		}
		for (const m of walk) state.set(m.sourceId, 'done');
	}
	const onPath = new Set<string>();
	for (
		let at = currentSourceId === null ? undefined : byId.get(currentSourceId);
		at && !onPath.has(at.sourceId);
		at = at.parentSourceId === null ? undefined : byId.get(at.parentSourceId)
	)
		onPath.add(at.sourceId);
	const children = new Map<string | null, ImportedMessage[]>();
	for (const m of byId.values()) {
		const list = children.get(m.parentSourceId);
		if (list) list.push(m);
		else children.set(m.parentSourceId, [m]);
	}
	/** Oldest first, the shown branch last; popped from the stack in that order. */
	const ordered = (list: ImportedMessage[]) =>
		[...list].sort(
			(a, b) =>
				Number(onPath.has(a.sourceId)) - Number(onPath.has(b.sourceId)) ||
				(a.createdAt ?? 0) - (b.createdAt ?? 0)
		);
	const out: ImportedMessage[] = [];
	const stack = ordered(children.get(null) ?? []).reverse();
	while (stack.length > 0) {
		const m = stack.pop()!;
		out.push(m);
		stack.push(...ordered(children.get(m.sourceId) ?? []).reverse());
	}
	return { messages: out, cut };
}
