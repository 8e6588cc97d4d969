// Sends messages written offline, oldest first, each with its client id so a send that is
// retried (a lost answer, the page and the service worker racing) is stored once by the server.
import {
	markRefused,
	removeFromOutbox,
	unsentOutbox,
	type DeviceCache,
	type OutboxItem
} from '$lib/client/device-cache';

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

function body(item: OutboxItem) {
	return {
		content: item.content,
		clientId: item.clientId,
		// null: answer whatever is newest when it arrives (the message queued before it).
		...(item.parentId !== null ? { parentId: item.parentId } : {}),
		...(item.model ? { model: item.model } : {})
	};
}
