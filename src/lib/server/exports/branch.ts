// The branch of a conversation tree that a reader sees: the path from the root to a leaf. Without
// a chosen leaf it follows the newest reply at every fork, as the conversation view does on open.

interface TreeNode {
	id: number;
	parent_id: number | null;
}

/** The leaf shown by default: from the root down, always the newest child. */
export function defaultLeafId(messages: readonly TreeNode[]): number | null {
	const newestChild = new Map<number | null, number>();
	for (const m of messages) {
		const seen = newestChild.get(m.parent_id);
		if (seen === undefined || m.id > seen) newestChild.set(m.parent_id, m.id);
	}
	let leaf: number | null = null;
	const visited = new Set<number>();
	for (let next = newestChild.get(null); next !== undefined && !visited.has(next);) {
		visited.add(next);
		leaf = next;
		next = newestChild.get(next);
	}
	return leaf;
}

/** Root-first path to `leafId` (or to the default leaf when it is not in the tree). */
export function branchTo<T extends TreeNode>(messages: readonly T[], leafId?: number | null): T[] {
	const byId = new Map(messages.map((m) => [m.id, m]));
	const start = leafId != null && byId.has(leafId) ? leafId : defaultLeafId(messages);
	const path: T[] = [];
	const visited = new Set<number>();
	for (let m = start === null ? undefined : byId.get(start); m && !visited.has(m.id);) {
		visited.add(m.id);
		path.push(m);
		m = m.parent_id === null ? undefined : byId.get(m.parent_id);
	}
	return path.reverse();
}
