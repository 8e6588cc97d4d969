// A stand-in for a browser vendor's push service, on 127.0.0.1: it checks each message's VAPID
// JWT (ES256, signed by the key in the header, aud = this origin, not expired) and decrypts the
// aes128gcm body with the receiving browser's private key, as a real browser would.
import {
	createECDH,
	createPublicKey,
	randomBytes,
	randomUUID,
	verify,
	type ECDH
} from 'node:crypto';
import http from 'node:http';
import { decrypt } from 'http_ece';
import { listenLocal } from './ports';

/** A browser's side of one subscription: what it sends to Hearth, and its private key. */
export interface BrowserSubscription {
	endpoint: string;
	keys: { p256dh: string; auth: string };
	ecdh: ECDH;
}

export interface ReceivedPush {
	endpoint: string;
	/** The decrypted payload (JSON text), or null when it could not be decrypted. */
	payload: string | null;
	/** Why the message would be refused by a real service; null when it checks out. */
	problem: string | null;
	vapidPublicKey: string | null;
	jwt: Record<string, unknown> | null;
	headers: http.IncomingHttpHeaders;
}

const MAX_JWT_LIFETIME_S = 24 * 60 * 60;

function publicKeyOf(point: Buffer) {
	return createPublicKey({
		key: {
			kty: 'EC',
			crv: 'P-256',
			x: point.subarray(1, 33).toString('base64url'),
			y: point.subarray(33, 65).toString('base64url')
		},
		format: 'jwk'
	});
}

/** Checks `Authorization: vapid t=<jwt>, k=<key>`; returns the claims or a problem. */
function checkVapid(header: string | undefined, origin: string) {
	const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '');
	if (!match) return { problem: 'no vapid authorization', key: null, claims: null };
	const [, jwt, key] = match as unknown as [string, string, string];
	const [head, body, signature] = jwt.split('.') as [string, string, string];
	const parsedHead = JSON.parse(Buffer.from(head, 'base64url').toString()) as { alg?: string };
	const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
	const fail = (problem: string) => ({ problem, key, claims });
	if (parsedHead.alg !== 'ES256') return fail(`alg is ${parsedHead.alg}`);
	const good = verify(
		'sha256',
		Buffer.from(`${head}.${body}`),
		{ key: publicKeyOf(Buffer.from(key, 'base64url')), dsaEncoding: 'ieee-p1363' },
		Buffer.from(signature, 'base64url')
	);
	if (!good) return fail('bad signature');
	if (claims.aud !== origin) return fail(`aud is ${String(claims.aud)}, not ${origin}`);
	const exp = Number(claims.exp);
	const now = Date.now() / 1000;
	if (!(exp > now && exp <= now + MAX_JWT_LIFETIME_S)) return fail('exp out of range');
	if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub))
		return fail('sub is not mailto: or https:');
	return { problem: null, key, claims };
}

export class StandInPushService {
	readonly received: ReceivedPush[] = [];
	/** Status answered per endpoint (default 201). */
	readonly statusFor = new Map<string, number>();
	private readonly browsers = new Map<string, BrowserSubscription>();
	private readonly waiters: (() => void)[] = [];
	/** While set, requests are received (and recorded) but not answered. */
	private held: (() => void)[] | null = null;
	private server = http.createServer((req, res) => this.handle(req, res));
	origin = '';

	async start() {
		this.origin = await listenLocal(this.server);
		return this;
	}

	async stop() {
		this.server.closeAllConnections();
		await new Promise((resolve) => this.server.close(resolve));
	}

	/** A new browser subscription at this service (fresh P-256 key pair and auth secret). */
	subscribe(): BrowserSubscription {
		const ecdh = createECDH('prime256v1');
		ecdh.generateKeys();
		const sub = {
			endpoint: `${this.origin}/push/${randomUUID()}`,
			keys: {
				p256dh: ecdh.getPublicKey().toString('base64url'),
				auth: randomBytes(16).toString('base64url')
			},
			ecdh
		};
		this.browsers.set(new URL(sub.endpoint).pathname, sub);
		return sub;
	}

	hold() {
		this.held ??= [];
	}

	release() {
		const held = this.held ?? [];
		this.held = null;
		for (const answer of held) answer();
	}

	/** Resolves with the messages to `endpoint` once there are `count` of them. */
	async waitForEndpoint(endpoint: string, count = 1): Promise<ReceivedPush[]> {
		const to = () => this.received.filter((p) => p.endpoint === endpoint);
		while (to().length < count) await new Promise<void>((r) => this.waiters.push(r));
		return to();
	}

	/** Resolves once `count` messages have arrived in all. */
	async waitFor(count: number): Promise<ReceivedPush[]> {
		while (this.received.length < count) await new Promise<void>((r) => this.waiters.push(r));
		return this.received;
	}

	private handle(req: http.IncomingMessage, res: http.ServerResponse) {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const endpoint = `${this.origin}${req.url}`;
			const browser = this.browsers.get(req.url ?? '');
			const vapid = checkVapid(req.headers.authorization, this.origin);
			let payload: string | null = null;
			let problem = vapid.problem;
			if (!browser) problem ??= 'unknown subscription';
			else if (req.headers['content-encoding'] !== 'aes128gcm')
				problem ??= 'content-encoding is not aes128gcm';
			else {
				try {
					payload = decrypt(Buffer.concat(chunks), {
						version: 'aes128gcm',
						privateKey: browser.ecdh,
						authSecret: browser.keys.auth
					}).toString('utf8');
				} catch (error) {
					problem ??= `could not decrypt: ${String(error)}`;
				}
			}
			this.received.push({
				endpoint,
				payload,
				problem,
				vapidPublicKey: vapid.key,
				jwt: vapid.claims,
				headers: req.headers
			});
			const answer = () => {
				res.statusCode = problem ? 400 : (this.statusFor.get(endpoint) ?? 201);
				res.end();
			};
			if (this.held) this.held.push(answer);
			else answer();
			for (const wake of this.waiters.splice(0)) wake();
		});
	}
}
