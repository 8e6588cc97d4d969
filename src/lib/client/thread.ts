// Which branch of a conversation's message tree is on screen. Messages with the same parent are
// siblings (edits and regenerations); the user's choices are remembered per parent, and
// otherwise the newest sibling is shown.
import type { MessageDto } from '$lib/shared/dto';

/** Chosen child per parent id ("root" for the first messages). */
export type BranchChoices = Record<string, number>;

export interface ThreadEntry {
	message: MessageDto;
	/** Ids of this message and its siblings, oldest first. */
	siblings: number[];
	index: number;
}

const keyOf = (parentId: number | null) => (parentId === null ? 'root' : String(parentId));

function childrenByParent(messages: MessageDto[]): Map<string, MessageDto[]> {
	const children = new Map<string, MessageDto[]>();
	for (const m of [...messages].sort((a, b) => a.id - b.id)) {
		const key = keyOf(m.parentId);
		const list = children.get(key);
		if (list) list.push(m);
		else children.set(key, [m]);
	}
	return children;
}

/**
 * Where the thread starts: the root, or — for a large conversation of which only the newest page
 * is loaded — the oldest loaded message whose parent is not.
 */
function startKey(messages: MessageDto[], children: Map<string, MessageDto[]>): string {
	if (children.has('root')) return 'root';
	const loaded = new Set(messages.map((m) => m.id));
	const orphans = messages.filter((m) => m.parentId !== null && !loaded.has(m.parentId));
	const oldest = orphans.reduce<MessageDto | null>((a, m) => (a && a.id < m.id ? a : m), null);
	return oldest ? keyOf(oldest.parentId) : 'root';
}

/** The messages on screen, from the root (or the oldest loaded message) down, with siblings. */
export function threadOf(messages: MessageDto[], choices: BranchChoices): ThreadEntry[] {
	const children = childrenByParent(messages);
	const thread: ThreadEntry[] = [];
	let key = startKey(messages, children);
	for (let siblings = children.get(key); siblings && siblings.length > 0;) {
		const chosen = siblings.find((m) => m.id === choices[key]) ?? siblings.at(-1)!;
		thread.push({
			message: chosen,
			siblings: siblings.map((m) => m.id),
			index: siblings.indexOf(chosen)
		});
		key = String(chosen.id);
		siblings = children.get(key);
	}
	return thread;
}

/** Choices that put `messageId` (and every message above it) on screen. */
export function choicesFor(messages: MessageDto[], messageId: number): BranchChoices {
	const byId = new Map(messages.map((m) => [m.id, m]));
	const choices: BranchChoices = {};
	for (let m = byId.get(messageId); m; m = m.parentId === null ? undefined : byId.get(m.parentId))
		choices[keyOf(m.parentId)] = m.id;
	return choices;
}
