// Web Push: the server's VAPID keys (made once, kept in the database so every instance signs
// with the same pair), each signed-in browser's subscription, and the "your reply is ready"
// notification. Sending is fire-and-forget: bounded in time, errors logged, never thrown into
// the reply that caused it.
import type { Logger } from 'pino';
import type { Database, Executor } from '$lib/server/db/database';
import type { Job } from '$lib/server/db/schema';
import { createGuardedFetch, type GuardedFetch } from '$lib/server/net/guarded-fetch';
import { internalAddressKind } from '$lib/server/net/ip';
import { buildPushRequest, generateVapidKeys, type VapidKeys } from '$lib/server/push/web-push';
import { findConversation } from '$lib/server/repos/conversations';
import { findMessage } from '$lib/server/repos/messages';
import * as subscriptions from '$lib/server/repos/push-subscriptions';
import { claimSetting, getSetting } from '$lib/server/repos/settings';
import { getUserSettings } from '$lib/server/services/user-settings';
import type { PushNotificationDto } from '$lib/shared/dto';

const VAPID_SETTING = 'push.vapid';
export const PUSH_LIMITS = {
	endpointMaxChars: 2048,
	/** Stays well under the 4 KB a push service accepts, after encryption overhead. */
	payloadMaxBytes: 3072,
	titleMaxChars: 120,
	previewMaxChars: 140,
	/** A reply older than a day is not news. */
	ttlSeconds: 24 * 60 * 60,
	sendTimeoutMs: 10_000,
	responseMaxBytes: 64 * 1024
} as const;
/** Lengths of the decoded browser keys: an uncompressed P-256 point and a 16-byte secret. */
const P256DH_BYTES = 65;
const AUTH_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
/** When ORIGIN is not https, the VAPID contact (push services want a mailto: or https: URL). */
const FALLBACK_SUBJECT = 'mailto:push@hearth.invalid';

let vapidCache: { db: Executor; keys: Promise<VapidKeys> } | null = null;

/** The server's VAPID key pair: made on first use and claimed once, so two instances share it. */
export function vapidKeys(db: Executor): Promise<VapidKeys> {
	if (vapidCache?.db === db) return vapidCache.keys;
	const keys = (async () => {
		const stored = await getSetting(db, VAPID_SETTING);
		if (stored) return JSON.parse(stored) as VapidKeys;
		await claimSetting(db, VAPID_SETTING, JSON.stringify(generateVapidKeys()), Date.now());
		// Another instance may have claimed first: theirs is the pair.
		return JSON.parse((await getSetting(db, VAPID_SETTING))!) as VapidKeys;
	})();
	keys.catch(() => (vapidCache = null));
	vapidCache = { db, keys };
	return keys;
}

export function vapidSubject(origin: string | null): string {
	return origin?.startsWith('https:') ? origin : FALLBACK_SUBJECT;
}

export interface SubscriptionInput {
	endpoint: string;
	keys: { p256dh: string; auth: string };
}

export type SubscribeResult = { ok: true } | { ok: false; code: 'invalid'; message: string };

function decodedKey(value: string, bytes: number): string | null {
	if (!BASE64URL.test(value)) return null;
	const bare = value.replace(/=+$/, '');
	const decoded = Buffer.from(bare, 'base64url');
	return decoded.length === bytes && decoded.toString('base64url') === bare ? bare : null;
}

/** Why an endpoint is refused, or null. http only for 127.0.0.1 and only when a test allows it. */
export function endpointProblem(endpoint: string, allowLoopbackHttp: boolean): string | null {
	if (endpoint.length > PUSH_LIMITS.endpointMaxChars)
		return `endpoint is longer than ${PUSH_LIMITS.endpointMaxChars} characters`;
	let url: URL;
	try {
		url = new URL(endpoint);
	} catch {
		return 'endpoint is not a URL';
	}
	if (url.username || url.password) return 'endpoint must not carry credentials';
	const loopbackTest = allowLoopbackHttp && url.hostname === '127.0.0.1';
	if (url.protocol !== 'https:' && !(loopbackTest && url.protocol === 'http:'))
		return 'endpoint must be an https URL';
	const host = url.hostname.replace(/^\[|\]$/g, '');
	if (!loopbackTest && internalAddressKind(host) !== null)
		return 'endpoint must be a public push service';
	return null;
}

/** Stores this browser's subscription for its session (replacing the one it had). */
export async function subscribePush(
	db: Database,
	owner: { userId: number; sessionId: string },
	input: SubscriptionInput,
	options: { allowLoopbackHttp: boolean; now?: number }
): Promise<SubscribeResult> {
	const invalid = (message: string) => ({ ok: false, code: 'invalid', message }) as const;
	const problem = endpointProblem(input.endpoint, options.allowLoopbackHttp);
	if (problem) return invalid(problem);
	const p256dh = decodedKey(input.keys.p256dh, P256DH_BYTES);
	if (!p256dh || Buffer.from(p256dh, 'base64url')[0] !== 0x04)
		return invalid(`keys.p256dh must be an uncompressed P-256 key (${P256DH_BYTES} bytes)`);
	const auth = decodedKey(input.keys.auth, AUTH_BYTES);
	if (!auth) return invalid(`keys.auth must be ${AUTH_BYTES} bytes, base64url`);
	await db.transaction().execute((trx) =>
		subscriptions.putPushSubscription(trx, {
			session_id: owner.sessionId,
			user_id: owner.userId,
			endpoint: input.endpoint,
			p256dh,
			auth,
			created_at: options.now ?? Date.now()
		})
	);
	return { ok: true };
}

export function unsubscribePush(db: Executor, sessionId: string): Promise<boolean> {
	return subscriptions.deleteSessionPushSubscription(db, sessionId);
}

/** Whether this browser (session) gets notifications, and at which endpoint. */
export async function pushStatus(db: Executor, sessionId: string) {
	const row = await subscriptions.findSessionPushSubscription(db, sessionId);
	return { subscribed: !!row, endpoint: row?.endpoint ?? null };
}

export interface PushDeps {
	db: Database;
	log: Logger;
	subject: string;
	allowLoopbackHttp: boolean;
	now?: () => number;
}

function clip(text: string, max: number): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	if (flat.length <= max) return flat;
	const cut = flat.slice(0, max);
	const space = cut.lastIndexOf(' ');
	return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** What the notification says: the title, and the reply's first words if the user allows it. */
export async function replyNotification(
	db: Executor,
	job: Pick<Job, 'user_id' | 'conversation_id' | 'assistant_message_id'>,
	state: 'done' | 'failed'
): Promise<PushNotificationDto> {
	const [conversation, settings] = await Promise.all([
		findConversation(db, job.user_id, job.conversation_id),
		getUserSettings(db, job.user_id)
	]);
	let body = state === 'done' ? 'Your reply is ready' : 'The reply could not be finished';
	if (state === 'done' && settings.pushPreview && job.assistant_message_id) {
		const reply = await findMessage(db, job.user_id, job.assistant_message_id);
		if (reply?.content.trim()) body = clip(reply.content, PUSH_LIMITS.previewMaxChars);
	}
	return {
		title: clip(conversation?.title || 'Hearth', PUSH_LIMITS.titleMaxChars),
		body,
		url: `/c/${job.conversation_id}`,
		tag: `hearth-c${job.conversation_id}`
	};
}

function fetchFor(endpoint: string, allowLoopbackHttp: boolean): GuardedFetch {
	const origin = new URL(endpoint).origin;
	const loopback = allowLoopbackHttp && new URL(endpoint).hostname === '127.0.0.1';
	return createGuardedFetch({
		allowedInternalOrigins: new Set(loopback ? [origin] : []),
		maxResponseBytes: PUSH_LIMITS.responseMaxBytes,
		timeoutMs: PUSH_LIMITS.sendTimeoutMs
	});
}

/**
 * A reply ended while no page of its user was watching it: tell each of the user's devices.
 * Never throws; a subscription the push service no longer knows (404/410) is removed.
 */
export async function notifyReplyEnded(
	deps: PushDeps,
	job: Pick<Job, 'id' | 'user_id' | 'conversation_id' | 'assistant_message_id'>,
	state: 'done' | 'failed'
): Promise<{ sent: number; removed: number }> {
	const { db, log } = deps;
	const result = { sent: 0, removed: 0 };
	try {
		const now = deps.now?.() ?? Date.now();
		const targets = await subscriptions.listLivePushSubscriptions(db, job.user_id, now);
		if (targets.length === 0) return result;
		const [keys, notification] = await Promise.all([
			vapidKeys(db),
			replyNotification(db, job, state)
		]);
		const payload = JSON.stringify(notification);
		if (Buffer.byteLength(payload) > PUSH_LIMITS.payloadMaxBytes)
			throw new Error('push payload over its limit');
		await Promise.all(
			targets.map(async (target) => {
				try {
					if (endpointProblem(target.endpoint, deps.allowLoopbackHttp)) return;
					const request = buildPushRequest(
						target,
						payload,
						{ ...keys, subject: deps.subject },
						{ ttlSeconds: PUSH_LIMITS.ttlSeconds, urgency: 'normal' }
					);
					const response = await fetchFor(target.endpoint, deps.allowLoopbackHttp)(
						request.endpoint,
						{ method: request.method, headers: request.headers, body: new Uint8Array(request.body) }
					);
					await response.body?.cancel();
					if (response.status === 404 || response.status === 410) {
						await subscriptions.deletePushSubscriptionByEndpoint(db, target.endpoint);
						result.removed++;
					} else if (response.ok) result.sent++;
					else log.warn({ jobId: job.id, status: response.status }, 'push service refused');
				} catch (error) {
					log.warn({ err: error, jobId: job.id }, 'push notification not sent');
				}
			})
		);
	} catch (error) {
		log.error({ err: error, jobId: job.id }, 'push notifications failed');
	}
	return result;
}
