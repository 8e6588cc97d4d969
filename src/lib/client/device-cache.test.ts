// The device copy's thumbnails in Node, over fake-indexeddb (the same Dexie code the browser runs):
// the byte budget evicts the oldest, a conversation leaving the copy takes its thumbnails, the
// wipe removes them, and a version-1 database upgrades keeping what it held.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import {
	applySync,
	cachedIds,
	deleteDeviceCache,
	deviceCache,
	evict,
	forgetConversation,
	keepThumbnail,
	storeConversation,
	thumbnailBytes,
	thumbnailOf,
	THUMBNAIL_BUDGET_BYTES
} from './device-cache';
import type { ConversationDto } from '$lib/shared/dto';

const USER = 7;
const KB = 1024;

const blob = (bytes: number) => new Blob([new Uint8Array(bytes)], { type: 'image/webp' });

function conversation(id: number, updatedAt: number): ConversationDto {
	return { id, title: `c${id}`, updatedAt, pinned: false, model: null, messages: [] } as never;
}

afterEach(() => deleteDeviceCache(USER));

describe('thumbnails on the device', () => {
	it('has a budget of a few MB', () => {
		expect(THUMBNAIL_BUDGET_BYTES).toBe(5 * 1024 * 1024);
	});

	it('evicts the oldest beyond the byte budget', async () => {
		const cache = deviceCache(USER);
		const budget = 10 * KB;
		for (const [i, id] of ['a', 'b', 'c', 'd'].entries())
			await keepThumbnail(cache, { id, conversationId: 1, blob: blob(3 * KB) }, budget, 1000 + i);
		expect(await thumbnailBytes(cache)).toBe(9 * KB);
		expect(await thumbnailOf(cache, 'a')).toBeUndefined();
		for (const id of ['b', 'c', 'd']) expect((await thumbnailOf(cache, id))?.size).toBe(3 * KB);

		// A larger newcomer pushes out as many of the oldest as it needs.
		await keepThumbnail(cache, { id: 'e', conversationId: 1, blob: blob(6 * KB) }, budget, 2000);
		expect(await thumbnailOf(cache, 'b')).toBeUndefined();
		expect(await thumbnailOf(cache, 'c')).toBeUndefined();
		expect(await thumbnailOf(cache, 'd')).toBeDefined();
		expect(await thumbnailOf(cache, 'e')).toBeDefined();
		expect(await thumbnailBytes(cache)).toBe(9 * KB);
	});

	it('goes with its conversation: evicted by count, dropped by sync, forgotten', async () => {
		const cache = deviceCache(USER);
		for (const id of [1, 2, 3, 4]) {
			await storeConversation(cache, conversation(id, id * 10));
			await keepThumbnail(cache, { id: `t${id}`, conversationId: id, blob: blob(KB) });
		}
		await evict(cache, 3); // the least recently updated (1) goes
		expect(await cachedIds(cache)).toEqual([2, 3, 4]);
		expect(await thumbnailOf(cache, 't1')).toBeUndefined();
		expect(await thumbnailOf(cache, 't2')).toBeDefined();

		await applySync(cache, {
			cursor: 5,
			conversations: [3, 4].map((id) => ({
				id,
				title: `c${id}`,
				updatedAt: id * 10,
				pinned: false
			})),
			changed: []
		});
		expect(await thumbnailOf(cache, 't2')).toBeUndefined();

		await forgetConversation(cache, 3);
		expect(await thumbnailOf(cache, 't3')).toBeUndefined();
		expect(await thumbnailOf(cache, 't4')).toBeDefined();
		expect(await thumbnailBytes(cache)).toBe(KB);
	});

	it('is wiped with the device copy (sign-out, a 401)', async () => {
		await keepThumbnail(deviceCache(USER), { id: 'x', conversationId: 1, blob: blob(KB) });
		await deleteDeviceCache(USER);
		expect(await thumbnailOf(deviceCache(USER), 'x')).toBeUndefined();
		expect(await thumbnailBytes(deviceCache(USER))).toBe(0);
	});

	it('upgrades a version-1 copy, keeping its conversations', async () => {
		const v1 = new Dexie(`hearth-u${USER}`);
		v1.version(1).stores({
			conversations: 'id, updatedAt, openedAt',
			outbox: 'clientId, conversationId, createdAt',
			meta: 'key'
		});
		await v1.table('conversations').put({ ...conversation(9, 90), openedAt: 0 });
		v1.close();

		const cache = deviceCache(USER);
		expect(await cachedIds(cache)).toEqual([9]);
		await keepThumbnail(cache, { id: 'y', conversationId: 9, blob: blob(KB) });
		expect((await thumbnailOf(cache, 'y'))?.size).toBe(KB);
	});
});
