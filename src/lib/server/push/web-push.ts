// The one user of the `web-push` library: VAPID key pairs, and the encrypted (aes128gcm), signed
// request for one push message. Hearth sends that request itself through the guarded fetch, so
// a subscription's endpoint cannot reach an internal address (web-push's own sender cannot be
// bounded that way and speaks https only).
import webPush from 'web-push';

export interface VapidKeys {
	/** Uncompressed P-256 point, base64url: what browsers take as `applicationServerKey`. */
	publicKey: string;
	privateKey: string;
}

export interface PushTarget {
	endpoint: string;
	p256dh: string;
	auth: string;
}

export interface PushRequest {
	endpoint: string;
	method: string;
	headers: Record<string, string>;
	body: Buffer;
}

export function generateVapidKeys(): VapidKeys {
	return webPush.generateVAPIDKeys();
}

export function buildPushRequest(
	target: PushTarget,
	payload: string,
	vapid: VapidKeys & { subject: string },
	options: { ttlSeconds: number; urgency: 'normal' | 'high' }
): PushRequest {
	const details = webPush.generateRequestDetails(
		{ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
		payload,
		{
			vapidDetails: vapid,
			TTL: options.ttlSeconds,
			urgency: options.urgency,
			contentEncoding: 'aes128gcm'
		}
	);
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(details.headers)) headers[name] = String(value);
	return {
		endpoint: details.endpoint,
		method: details.method,
		headers,
		body: details.body ?? Buffer.alloc(0)
	};
}
