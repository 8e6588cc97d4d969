// The offline copy on this device: one IndexedDB database per user (Dexie) holding recent
// conversations with their message trees, the sync cursor, and the outbox of messages written
// offline. Used by the page and by the service worker (which flushes the outbox in the background).
// Every query is a named function here; callers hold an opaque `DeviceCache` and never see Dexie.
// The page loads this module (and Dexie with it) on demand, through `offlineStore`; the service
// worker imports it up front (a service worker cannot import() a module). Whether the copy is on,
// and how large, is `device-cache-settings.ts`'s (no Dexie).
import Dexie, { type Table } from 'dexie';
import type { ConversationDto, ConversationSummaryDto, SearchHitDto } from '$lib/shared/dto';
import { makeSnippet, searchTerms } from '$lib/shared/search';

export interface CachedConversation extends ConversationDto {
	/** When it was last opened on this device (least recently opened is evicted first). */
	openedAt: number;
}

export interface OutboxItem {
	/** The idempotency key the server stores: a retried send is stored once. */
	clientId: string;
	conversationId: number;
	content: string;
	parentId: number | null;
	model: string | null;
	createdAt: number;
	/** Set when the server refused it (a 4xx): shown to the user, not retried. */
	error?: string;
	/** Files attached offline, kept here (IndexedDB holds Blobs) until they are uploaded. */
	files?: OutboxFile[];
}

export interface OutboxFile {
	name: string;
	blob: Blob;
	/** Set once uploaded, so a retried flush never uploads it again. */
	id?: string;
}

const PREFIX = 'hearth-u';

declare const OPAQUE: unique symbol;
/** One user's device copy: read and written only through the functions of this module. */
export interface DeviceCache {
	readonly userId: number;
	readonly [OPAQUE]: true;
}

class DeviceDb extends Dexie {
	conversations!: Table<CachedConversation, number>;
	outbox!: Table<OutboxItem, string>;
	meta!: Table<{ key: string; value: unknown }, string>;

	constructor(readonly userId: number) {
		super(`${PREFIX}${userId}`);
		this.version(1).stores({
			conversations: 'id, updatedAt, openedAt',
			outbox: 'clientId, conversationId, createdAt',
			meta: 'key'
		});
	}
}

const open = new Map<number, DeviceDb>();

export function deviceCache(userId: number): DeviceCache {
	let db = open.get(userId);
	if (!db) open.set(userId, (db = new DeviceDb(userId)));
	return db as unknown as DeviceCache;
}

function tables(cache: DeviceCache): DeviceDb {
	return cache as unknown as DeviceDb;
}

/** Every Hearth user database in this browser (the service worker does not know who is signed in). */
export async function deviceUserIds(): Promise<number[]> {
	const all = (await indexedDB.databases?.()) ?? [];
	return all
		.map((d) => d.name ?? '')
		.filter((name) => name.startsWith(PREFIX))
		.map((name) => Number(name.slice(PREFIX.length)))
		.filter((id) => Number.isInteger(id));
}

export async function deleteDeviceCache(userId: number) {
	const db = open.get(userId);
	open.delete(userId);
	db?.close();
	await Dexie.delete(`${PREFIX}${userId}`);
}

/** The cached conversation list, newest first. */
export async function cachedSummaries(cache: DeviceCache): Promise<ConversationSummaryDto[]> {
	const db = tables(cache);
	const rows = await db.conversations.orderBy('updatedAt').reverse().toArray();
	return rows.map(({ id, title, updatedAt, pinned }) => ({ id, title, updatedAt, pinned }));
}

const MODELS_KEY = 'models';

/** Keeps the model list so the picker can show the last known models while offline. */
export async function rememberModels<T>(cache: DeviceCache, groups: T[]) {
	const db = tables(cache);
	await db.meta.put({ key: MODELS_KEY, value: plain(groups) });
}

/** The model list as last seen online, or null. */
export async function lastKnownModels<T>(cache: DeviceCache): Promise<T[] | null> {
	const db = tables(cache);
	const row = await db.meta.get(MODELS_KEY);
	return Array.isArray(row?.value) ? (row.value as T[]) : null;
}

/** Stores a conversation as the server sent it, keeping when it was last opened here. */
export async function storeConversation(
	cache: DeviceCache,
	conversation: ConversationDto,
	opened = false
) {
	const db = tables(cache);
	await db.transaction('rw', db.conversations, async () => {
		const existing = await db.conversations.get(conversation.id);
		await db.conversations.put({
			...plain(conversation),
			openedAt: opened ? Date.now() : (existing?.openedAt ?? 0)
		});
	});
}

function plain<T>(value: T): T {
	// Svelte state proxies cannot be structured-cloned into IndexedDB; plain JSON can.
	return JSON.parse(JSON.stringify(value)) as T;
}

export interface SyncPage {
	cursor: number;
	/** The user's most recent conversations (up to the limit asked for), newest first. */
	conversations: ConversationSummaryDto[];
	/** Those changed since the cursor, whole. */
	changed: ConversationDto[];
}

/** Applies a sync answer: changed conversations replaced, anything no longer listed evicted. */
export async function applySync(cache: DeviceCache, page: SyncPage) {
	const db = tables(cache);
	await db.transaction('rw', db.conversations, db.meta, async () => {
		const keep = new Set(page.conversations.map((c) => c.id));
		const stale = (await db.conversations.toCollection().primaryKeys()).filter(
			(id) => !keep.has(id)
		);
		await db.conversations.bulkDelete(stale);
		for (const conversation of page.changed) {
			const existing = await db.conversations.get(conversation.id);
			await db.conversations.put({ ...conversation, openedAt: existing?.openedAt ?? 0 });
		}
		for (const summary of page.conversations) {
			await db.conversations.update(summary.id, {
				title: summary.title,
				pinned: summary.pinned,
				updatedAt: summary.updatedAt
			});
		}
		await db.meta.put({ key: 'cursor', value: page.cursor });
	});
}

export async function syncCursor(cache: DeviceCache): Promise<number> {
	const db = tables(cache);
	return Number((await db.meta.get('cursor'))?.value ?? 0);
}

/** Keeps at most `limit` conversations: the least recently opened (then updated) go first. */
export async function evict(cache: DeviceCache, limit: number) {
	const db = tables(cache);
	// Counting reads no rows: most syncs have nothing to evict, and rows hold whole threads.
	if ((await db.conversations.count()) <= limit) return;
	const rows = await db.conversations.toArray();
	if (rows.length <= limit) return;
	rows.sort((a, b) => Math.max(b.openedAt, b.updatedAt) - Math.max(a.openedAt, a.updatedAt));
	await db.conversations.bulkDelete(rows.slice(limit).map((r) => r.id));
}

/** One saved conversation, or undefined when this device has no copy of it. */
export async function cachedConversation(
	cache: DeviceCache,
	id: number
): Promise<CachedConversation | undefined> {
	return tables(cache).conversations.get(id);
}

/** Notes that a conversation was opened here now (it is evicted last). */
export async function markOpened(cache: DeviceCache, id: number) {
	await tables(cache).conversations.update(id, { openedAt: Date.now() });
}

/** The ids of the saved conversations (the sync sends only what the device lacks). */
export async function cachedIds(cache: DeviceCache): Promise<number[]> {
	return tables(cache).conversations.toCollection().primaryKeys();
}

/** Drops a conversation from the device (it was deleted). */
export async function forgetConversation(cache: DeviceCache, id: number) {
	await tables(cache).conversations.delete(id);
}

/** The messages waiting to be sent in one conversation, oldest first. */
export async function outboxOf(cache: DeviceCache, conversationId: number): Promise<OutboxItem[]> {
	return tables(cache).outbox.where('conversationId').equals(conversationId).sortBy('createdAt');
}

/** Every message still to be sent (not refused by the server), oldest first. */
export async function unsentOutbox(cache: DeviceCache): Promise<OutboxItem[]> {
	return (await tables(cache).outbox.orderBy('createdAt').toArray()).filter((i) => !i.error);
}

/** Puts a message written offline in the outbox; `parentId` is set only if none waits before it. */
export async function queueMessage(
	cache: DeviceCache,
	item: Omit<OutboxItem, 'parentId'>,
	parentId: number | null
) {
	const db = tables(cache);
	await db.transaction('rw', db.outbox, async () => {
		const waiting = await db.outbox.where('conversationId').equals(item.conversationId).count();
		// Queued messages follow each other; the first answers the newest message.
		await db.outbox.put({ ...item, parentId: waiting > 0 ? null : parentId });
	});
}

/** Records the files of a queued message as uploaded so far. */
export async function recordOutboxUploads(
	cache: DeviceCache,
	clientId: string,
	files: OutboxFile[]
): Promise<void> {
	await tables(cache).outbox.update(clientId, { files });
}

/** The server took it: it leaves the outbox. */
export async function removeFromOutbox(cache: DeviceCache, clientId: string) {
	await tables(cache).outbox.delete(clientId);
}

/** The server refused it (a 4xx): it stays, with the reason, and is not retried. */
export async function markRefused(cache: DeviceCache, clientId: string, error: string) {
	await tables(cache).outbox.update(clientId, { error });
}

/** Offline search over the saved conversations: every word must appear in a message. */
export async function searchCached(
	cache: DeviceCache,
	query: string,
	limit: number
): Promise<SearchHitDto[]> {
	const db = tables(cache);
	const terms = searchTerms(query);
	if (terms.length === 0) return [];
	const hits: (SearchHitDto & { content: string; parent: number | null })[] = [];
	await db.conversations.each((c) => {
		for (const m of c.messages) {
			const lower = m.content.toLowerCase();
			if (!terms.every((t) => lower.includes(t))) continue;
			const snippet = makeSnippet(m.content, terms);
			if (snippet)
				hits.push({
					conversationId: c.id,
					title: c.title,
					messageId: m.id,
					role: m.role,
					createdAt: m.createdAt,
					snippet,
					content: m.content,
					parent: c.branchOf?.conversationId ?? null
				});
		}
	});
	// As on the server: a message copied by "branch from here" is listed once, in the original.
	const found = new Set(hits.map((h) => `${h.conversationId}\u0000${h.content}`));
	return hits
		.filter((h) => h.parent === null || !found.has(`${h.parent}\u0000${h.content}`))
		.sort((a, b) => b.createdAt - a.createdAt)
		.slice(0, limit)
		.map(({ content: _content, parent: _parent, ...hit }) => hit);
}
