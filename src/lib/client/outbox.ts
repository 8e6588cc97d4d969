// Sends messages written offline, oldest first, each with its client id so a send that is
// retried (a lost answer, the page and the service worker racing) is stored once by the server.
import {
	markRefused,
	recordOutboxUploads,
	removeFromOutbox,
	unsentOutbox,
	type DeviceCache,
	type OutboxItem
} from '$lib/client/device-cache';
import { postAttachment } from '$lib/client/attachments';

let running: Promise<number> | null = null;

/** Sends what the outbox holds; stops at the first network failure. Resolves to how many went. */
export function flushOutbox(db: DeviceCache, fetchFn: typeof fetch): Promise<number> {
	running ??= send(db, fetchFn).finally(() => (running = null));
	return running;
}

async function send(db: DeviceCache, fetchFn: typeof fetch): Promise<number> {
	let sent = 0;
	const items = await unsentOutbox(db);
	for (const item of items) {
		const uploaded = await uploadFiles(db, item, fetchFn);
		if (uploaded === 'later') break;
		if (uploaded !== 'ok') {
			await markRefused(db, item.clientId, uploaded.error);
			continue;
		}
		let res: Response;
		try {
			res = await fetchFn(`/api/conversations/${item.conversationId}/messages`, {
				method: 'POST',
				credentials: 'same-origin',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body(item))
			});
		} catch {
			break; // Still offline: try again when the network is back.
		}
		if (res.ok) {
			await removeFromOutbox(db, item.clientId);
			sent++;
		} else if (res.status === 401 || res.status === 429 || res.status >= 500) {
			break; // Signed out, busy or failing: keep it for later.
		} else {
			const data = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
			await markRefused(
				db,
				item.clientId,
				data?.error?.message ?? `Hearth refused this message (${res.status})`
			);
		}
	}
	return sent;
}

/** Uploads the item's files not yet uploaded, recording each id as it comes. */
async function uploadFiles(
	db: DeviceCache,
	item: OutboxItem,
	fetchFn: typeof fetch
): Promise<'ok' | 'later' | { error: string }> {
	const files = item.files ?? [];
	for (let i = 0; i < files.length; i++) {
		const file = files[i]!;
		if (file.id) continue;
		const result = await postAttachment(fetchFn, file.blob, file.name);
		if (!result.ok) {
			if (
				result.status === 0 ||
				result.status === 401 ||
				result.status === 429 ||
				result.status >= 500
			)
				return 'later';
			return { error: `${file.name}: ${result.message}` };
		}
		files[i] = { ...file, id: result.attachment.id };
		item.files = files;
		await recordOutboxUploads(db, item.clientId, files);
	}
	return 'ok';
}

function body(item: OutboxItem) {
	const attachments = (item.files ?? []).map((f) => f.id!);
	return {
		content: item.content,
		clientId: item.clientId,
		...(attachments.length > 0 ? { attachments } : {}),
		// null: answer whatever is newest when it arrives (the message queued before it).
		...(item.parentId !== null ? { parentId: item.parentId } : {}),
		...(item.model ? { model: item.model } : {})
	};
}
