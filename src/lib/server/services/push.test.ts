// Web Push end to end in Node, without the internet: the real runner finishes replies from a
// scripted upstream, the hook sends through web-push's encryption and the guarded fetch, and a
// stand-in push service checks the VAPID JWT and decrypts the aes128gcm payload with the
// subscribing browser's private key.
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
	DIALECTS,
	freshDatabase,
	insertUsers,
	type TestDatabase
} from '../../../../tests/support/db';
import {
	StandInPushService,
	type BrowserSubscription
} from '../../../../tests/support/push-service';
import {
	startOpenAiStub,
	type StubServer,
	stubProviderRecord
} from '../../../../tests/support/stub-providers';
import { createSession } from '$lib/server/auth/session';
import { JobBus } from '$lib/server/jobs/bus';
import { JobRunner } from '$lib/server/jobs/runner';
import { ProviderRegistry } from '$lib/server/llm/registry';
import { sendMessage } from '$lib/server/services/chat';
import { createConversation } from '$lib/server/services/conversations';
import {
	notifyReplyEnded,
	pushStatus,
	subscribePush,
	unsubscribePush,
	vapidKeys,
	type PushDeps
} from '$lib/server/services/push';
import { updateUserSettings } from '$lib/server/services/user-settings';
import type { PushNotificationDto } from '$lib/shared/dto';

const REPLY_TEXT =
	'The hearth is the heart of the home, where the fire was kept burning all winter long.';

describe.each(DIALECTS)('web push on %s', (dialect) => {
	let t: TestDatabase;
	let stub: StubServer;
	let pushService: StandInPushService;
	let runner: JobRunner;
	let bus: JobBus;
	let alice: number;
	let bob: number;
	/** What the runner's hook saw, and the sends it started (awaited by the tests, not the runner). */
	const ended: { jobId: number; state: string; watched: boolean }[] = [];
	let sends: Promise<{ sent: number; removed: number }>[] = [];
	let logs = '';

	beforeAll(async () => {
		t = await freshDatabase(dialect);
		[alice, bob] = (await insertUsers(t.db, 'alice', 'bob')) as [number, number];
		stub = await startOpenAiStub();
		stub.script = { text: REPLY_TEXT, chunkChars: 20, intervalMs: 1 };
		pushService = await new StandInPushService().start();
		const providers = new ProviderRegistry(async () => [stubProviderRecord(stub)]);
		const log = pino({ level: 'warn' }, { write: (line: string) => void (logs += line) });
		const deps: PushDeps = {
			db: t.db,
			log,
			subject: 'https://hearth.example',
			allowLoopbackHttp: true
		};
		bus = new JobBus();
		runner = new JobRunner({
			db: t.db,
			providers,
			bus,
			log,
			limits: { pollMs: 3_600_000 },
			// As runtime.ts wires it.
			onReplyEnded: (job, state, watched) => {
				ended.push({ jobId: job.id, state, watched });
				if (!watched) sends.push(notifyReplyEnded(deps, job, state));
			}
		});
		await runner.start({ recoverAll: true });
	});
	afterAll(async () => {
		await runner?.stop();
		await stub?.close();
		await pushService?.stop();
		await t?.close();
	});

	afterEach(async () => {
		stub.behaviour = 'ok';
		pushService.release();
		await t.db.deleteFrom('push_subscription').execute();
	});

	async function subscribed(userId: number, browser = pushService.subscribe()) {
		const { session } = await createSession(t.db, userId, 'test browser');
		const result = await subscribePush(
			t.db,
			{ userId, sessionId: session.id },
			{ endpoint: browser.endpoint, keys: browser.keys },
			{ allowLoopbackHttp: true }
		);
		expect(result).toEqual({ ok: true });
		return { session, browser };
	}

	/** Sends a message and runs its reply to the end; `watch` subscribes to it as an open page does. */
	async function reply(userId: number, conversationId: number, options: { watch?: boolean } = {}) {
		const sent = await sendMessage(
			t.db,
			userId,
			conversationId,
			{ content: 'Tell me about the hearth', model: 'stub/m' },
			{ defaultModel: async () => 'stub/m', enqueued: () => {} }
		);
		if (!sent.ok) throw new Error(sent.message);
		const off = options.watch ? bus.subscribe(sent.job.id, () => {}) : null;
		sends = [];
		runner.submit({ id: sent.job.id, provider: 'stub', user_id: userId });
		await vi.waitFor(() => expect(ended.map((e) => e.jobId)).toContain(sent.job.id), {
			timeout: 10_000,
			interval: 10
		});
		off?.();
		const results = await Promise.all(sends);
		return { jobId: sent.job.id, results };
	}

	async function pushRows() {
		return t.db.selectFrom('push_subscription').selectAll().execute();
	}

	function decoded(index: number) {
		const push = pushService.received[index]!;
		expect(push.problem).toBeNull();
		return JSON.parse(push.payload!) as PushNotificationDto;
	}

	it('makes the VAPID key pair once and keeps it in the database', async () => {
		const keys = await vapidKeys(t.db);
		expect(keys.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
		const stored = await t.db
			.selectFrom('app_setting')
			.select('value')
			.where('key', '=', 'push.vapid')
			.executeTakeFirstOrThrow();
		expect(JSON.parse(stored.value)).toEqual(keys);
		expect(await vapidKeys(t.db)).toEqual(keys);
	});

	it('refuses malformed or unsafe subscriptions and stores nothing', async () => {
		const { session } = await createSession(t.db, alice, 'test browser');
		const good = pushService.subscribe();
		const owner = { userId: alice, sessionId: session.id };
		const p256 = (bytes: Buffer) => bytes.toString('base64url');
		const cases: [string, { endpoint: string; keys: { p256dh: string; auth: string } }, boolean][] =
			[
				['plain http', { ...good, endpoint: 'http://push.example/x' }, true],
				['loopback http when tests do not allow it', good, false],
				['https to a private address', { ...good, endpoint: 'https://10.0.0.7/x' }, true],
				['https to loopback v6', { ...good, endpoint: 'https://[::1]/x' }, true],
				['https to metadata', { ...good, endpoint: 'https://169.254.169.254/x' }, true],
				['not a URL', { ...good, endpoint: 'push me' }, true],
				['credentials', { ...good, endpoint: 'https://u:p@push.example/x' }, true],
				['javascript:', { ...good, endpoint: 'javascript:alert(1)' }, true],
				[
					'a huge endpoint',
					{ ...good, endpoint: `https://push.example/${'a'.repeat(5000)}` },
					true
				],
				[
					'short p256dh',
					{ ...good, keys: { ...good.keys, p256dh: p256(Buffer.alloc(33, 4)) } },
					true
				],
				[
					'p256dh not an uncompressed point',
					{ ...good, keys: { ...good.keys, p256dh: p256(Buffer.alloc(65, 2)) } },
					true
				],
				[
					'p256dh not base64url',
					{ ...good, keys: { ...good.keys, p256dh: '+/'.repeat(44) } },
					true
				],
				[
					'auth of 15 bytes',
					{ ...good, keys: { ...good.keys, auth: p256(Buffer.alloc(15)) } },
					true
				],
				[
					'auth of 64 bytes',
					{ ...good, keys: { ...good.keys, auth: p256(Buffer.alloc(64)) } },
					true
				]
			];
		for (const [name, input, allowLoopbackHttp] of cases) {
			const result = await subscribePush(t.db, owner, input, { allowLoopbackHttp });
			expect(result.ok, name).toBe(false);
		}
		expect(await pushRows()).toEqual([]);
		expect(await pushStatus(t.db, session.id)).toEqual({ subscribed: false, endpoint: null });
	});

	it('pushes an unwatched reply to each of the user’s devices: VAPID checked, payload decrypted', async () => {
		const phone = await subscribed(alice);
		const laptop = await subscribed(alice);
		const other = await subscribed(bob);
		const conversation = await createConversation(t.db, alice, { title: 'Hearth history' });
		const before = pushService.received.length;
		const { results } = await reply(alice, conversation.id);
		expect(results).toEqual([{ sent: 2, removed: 0 }]);
		const got = pushService.received.slice(before);
		expect(got.map((p) => p.endpoint).sort()).toEqual(
			[phone.browser.endpoint, laptop.browser.endpoint].sort()
		);
		expect(got.map((p) => p.endpoint)).not.toContain(other.browser.endpoint);
		const keys = await vapidKeys(t.db);
		for (const [i, push] of got.entries()) {
			expect(push.vapidPublicKey).toBe(keys.publicKey);
			expect(push.jwt).toMatchObject({ aud: pushService.origin, sub: 'https://hearth.example' });
			expect(push.headers.ttl).toBe(String(24 * 60 * 60));
			expect(decoded(before + i)).toEqual({
				title: 'Hearth history',
				body: 'Your reply is ready',
				url: `/c/${conversation.id}`,
				tag: `hearth-c${conversation.id}`
			});
			expect(push.payload!.length).toBeLessThan(4096);
		}
	});

	it('shows the reply’s first words only when the user allows it', async () => {
		await subscribed(alice);
		const conversation = await createConversation(t.db, alice, {});
		await updateUserSettings(t.db, alice, { pushPreview: true });
		const before = pushService.received.length;
		await reply(alice, conversation.id);
		const body = decoded(before).body;
		expect(body.startsWith('The hearth is the heart of the home')).toBe(true);
		expect(body.length).toBeLessThanOrEqual(141);
		await updateUserSettings(t.db, alice, { pushPreview: false });
		await reply(alice, conversation.id);
		expect(decoded(before + 1).body).toBe('Your reply is ready');
	});

	it('a reply being watched sends no push', async () => {
		await subscribed(alice);
		const conversation = await createConversation(t.db, alice, {});
		const before = pushService.received.length;
		const { jobId, results } = await reply(alice, conversation.id, { watch: true });
		expect(ended.find((e) => e.jobId === jobId)).toMatchObject({ state: 'done', watched: true });
		expect(results).toEqual([]);
		expect(pushService.received.length).toBe(before);
	});

	it('a failed reply says so', async () => {
		await subscribed(alice);
		const conversation = await createConversation(t.db, alice, {});
		stub.behaviour = 'status401';
		const before = pushService.received.length;
		try {
			await reply(alice, conversation.id);
		} finally {
			stub.behaviour = 'ok';
		}
		expect(decoded(before).body).toBe('The reply could not be finished');
	});

	it('removes a subscription the push service answers 410 or 404 for, keeps one it answers 500', async () => {
		const gone = await subscribed(alice);
		const unknown = await subscribed(alice);
		const failing = await subscribed(alice);
		pushService.statusFor.set(gone.browser.endpoint, 410);
		pushService.statusFor.set(unknown.browser.endpoint, 404);
		pushService.statusFor.set(failing.browser.endpoint, 500);
		const conversation = await createConversation(t.db, alice, {});
		const { results } = await reply(alice, conversation.id);
		expect(results).toEqual([{ sent: 0, removed: 2 }]);
		expect((await pushRows()).map((r) => r.endpoint)).toEqual([failing.browser.endpoint]);
		expect(logs).toContain('push service refused');
		expect(logs).not.toContain(failing.browser.endpoint);
	});

	it('a signed-out or expired session gets nothing; unsubscribing stops it', async () => {
		const signedOut = await subscribed(alice);
		const expired = await subscribed(alice);
		const left = await subscribed(alice);
		await t.db.deleteFrom('session').where('id', '=', signedOut.session.id).execute();
		await t.db
			.updateTable('session')
			.set({ expires_at: Date.now() - 1 })
			.where('id', '=', expired.session.id)
			.execute();
		// The subscription went with its session.
		expect(await pushStatus(t.db, signedOut.session.id)).toEqual({
			subscribed: false,
			endpoint: null
		});
		const conversation = await createConversation(t.db, alice, {});
		const before = pushService.received.length;
		await reply(alice, conversation.id);
		expect(pushService.received.slice(before).map((p) => p.endpoint)).toEqual([
			left.browser.endpoint
		]);
		expect(await unsubscribePush(t.db, left.session.id)).toBe(true);
		const { results } = await reply(alice, conversation.id);
		expect(results).toEqual([{ sent: 0, removed: 0 }]);
	});

	it('one endpoint belongs to one session: the browser re-subscribing for another user moves it', async () => {
		const browser: BrowserSubscription = pushService.subscribe();
		const first = await subscribed(alice, browser);
		const second = await subscribed(bob, browser);
		const rows = await pushRows();
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ user_id: bob, session_id: second.session.id });
		expect((await pushStatus(t.db, first.session.id)).subscribed).toBe(false);
	});

	it('a push service that does not answer never holds up the reply', async () => {
		await subscribed(alice);
		const conversation = await createConversation(t.db, alice, {});
		pushService.hold();
		const before = pushService.received.length;
		const sent = await sendMessage(
			t.db,
			alice,
			conversation.id,
			{ content: 'again', model: 'stub/m' },
			{ defaultModel: async () => 'stub/m', enqueued: () => {} }
		);
		if (!sent.ok) throw new Error(sent.message);
		sends = [];
		runner.submit({ id: sent.job.id, provider: 'stub', user_id: alice });
		// The push request is in flight, unanswered, and the reply's run is over (its slot free).
		await pushService.waitFor(before + 1);
		await vi.waitFor(() => expect(runner.activeCount).toBe(0), { timeout: 5_000, interval: 10 });
		const message = await t.db
			.selectFrom('message')
			.select('status')
			.where('id', '=', sent.reply.id)
			.executeTakeFirstOrThrow();
		expect(message.status).toBe('done');
		pushService.release();
		expect(await Promise.all(sends)).toEqual([{ sent: 1, removed: 0 }]);
	});
});
