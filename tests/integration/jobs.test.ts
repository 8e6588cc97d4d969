// Replies as durable jobs, end to end: the built server, a real llama-server, HTTP and SSE.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports';
import { startSlowLlamaServer, type LlamaServer } from '../support/llama-server';
import {
	addUser,
	signIn,
	startHearth,
	type ApiClient,
	type HearthServer
} from '../support/hearth-server';
import type { SseEvent } from '$lib/client/sse';
import {
	encodePosition,
	type MessageDto,
	type SendResultDto,
	type UsageReportDto
} from '$lib/shared/dto';
import { conversation, newConversation, send, settledReply } from '../support/chat';
import { startOpenAiStub, type StubServer } from '../support/stub-providers';
import { MAX_HISTORY_CHARS } from '$lib/server/jobs/history';
import { MAX_MESSAGE_CHARS } from '$lib/server/services/chat';

/** Reads deltas until `stop` says so (or the stream ends); returns text, last id and the end event. */
async function read(
	stream: AsyncGenerator<SseEvent>,
	stop: (deltas: number) => boolean = () => false
) {
	let text = '';
	let deltas = 0;
	let lastId: string | null = null;
	let end: SseEvent | null = null;
	for await (const event of stream) {
		lastId = event.id ?? lastId;
		if (event.event === 'delta') {
			text += (JSON.parse(event.data) as { text?: string }).text ?? '';
			deltas++;
			if (stop(deltas)) break;
		} else if (event.event === 'done' || event.event === 'error') {
			end = event;
			break;
		}
	}
	return { text, lastId, end, deltas };
}

describe('durable reply jobs', () => {
	let llama: LlamaServer;
	let hearth: HearthServer;
	let alice: ApiClient;
	let bob: ApiClient;

	beforeAll(async () => {
		llama = await startSlowLlamaServer({ parallel: 4 });
		hearth = await startHearth({ LLAMA_URL: llama.url });
		addUser(hearth, 'alice', 'alice-password');
		addUser(hearth, 'bob', 'bob-password-1');
		alice = await signIn(hearth, 'alice', 'alice-password');
		bob = await signIn(hearth, 'bob', 'bob-password-1');
	}, 120_000);
	afterAll(async () => {
		await hearth?.stop();
		await llama?.stop();
	});

	it('stores the message at once (202) and finishes the reply with nobody listening', async () => {
		const id = await newConversation(alice);
		const sent = await send(alice, id, 24);
		expect(sent.message).toMatchObject({
			role: 'user',
			content: 'Tell me about the hearth.',
			status: 'done'
		});
		expect(sent.reply).toMatchObject({
			role: 'assistant',
			status: 'queued',
			model: 'llama/hearth-test',
			jobId: sent.job.id
		});
		// With a slot free the reply was inserted running (started at once), else queued.
		expect(sent.job).toMatchObject({ assistantMessageId: sent.reply.id });
		expect(['queued', 'running']).toContain(sent.job.state);
		const reply = await settledReply(alice, id, sent.reply.id);
		expect(reply).toMatchObject({ status: 'done', usage: { completionTokens: 24 } });
		expect(reply.content.length).toBeGreaterThan(0);
		expect(reply.jobId).toBeUndefined();
		const conv = await conversation(alice, id);
		expect(conv.messages).toHaveLength(2);
		expect(conv.title).toBe('Tell me about the hearth.');
	});

	it('a reconnect with Last-Event-ID gets exactly what was missed: no gap, no duplicate', async () => {
		const id = await newConversation(alice);
		const sent = await send(alice, id, 600);
		const controller = new AbortController();
		const first = await read(
			await alice.events(sent.job.id, undefined, controller.signal),
			(n) => n >= 15
		);
		controller.abort();
		expect(first.deltas).toBe(15);
		// Reconnect at once: the reply goes on meanwhile, and whatever it made is what was missed.
		const rest = await read(await alice.events(sent.job.id, first.lastId!));
		expect(rest.end?.event).toBe('done');
		const final = (JSON.parse(rest.end!.data) as { message: MessageDto }).message;
		expect(first.text + rest.text).toBe(final.content);
		const stored = (await conversation(alice, id)).messages.find((m) => m.id === sent.reply.id)!;
		expect(stored.content).toBe(final.content);
	});

	it('Accept: text/event-stream enqueues and streams in one request', async () => {
		const id = await newConversation(alice);
		const res = await alice.call(
			'POST',
			`/api/conversations/${id}/messages`,
			{ content: 'one trip', maxTokens: 30 },
			{ headers: { accept: 'text/event-stream' } }
		);
		expect(res.status).toBe(202);
		expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
		const { parseSse } = await import('$lib/client/sse');
		const events = parseSse(res.body!);
		const first = (await events.next()).value!;
		expect(first.event).toBe('job');
		const sent = JSON.parse(first.data) as SendResultDto;
		expect(sent.message).toMatchObject({ role: 'user', content: 'one trip' });
		const rest = await read(events);
		expect(rest.end?.event).toBe('done');
		const reply = await settledReply(alice, id, sent.reply.id);
		expect(rest.text).toBe(reply.content);
	});

	it('a finished reply replays whole, or from any position', async () => {
		const id = await newConversation(alice);
		const sent = await send(alice, id, 40);
		const reply = await settledReply(alice, id, sent.reply.id);
		const whole = await read(await alice.events(sent.job.id));
		expect(whole.text).toBe(reply.content);
		expect(whole.end?.event).toBe('done');
		const k = Math.floor(reply.content.length / 2);
		const tail = await read(await alice.events(sent.job.id, String(encodePosition(k, 0))));
		expect(tail.text).toBe(reply.content.slice(k));
		const garbage = await read(await alice.events(sent.job.id, 'not-a-number'));
		expect(garbage.text).toBe(reply.content);
	});

	it('cancel mid-stream stops upstream and keeps the partial text as a cancelled reply', async () => {
		const id = await newConversation(alice);
		const sent = await send(alice, id, 1500);
		const controller = new AbortController();
		const seen = await read(
			await alice.events(sent.job.id, undefined, controller.signal),
			(n) => n >= 5
		);
		controller.abort();
		const cancel = await alice.json<{ job: { state: string } }>(
			'POST',
			`/api/jobs/${sent.job.id}/cancel`
		);
		expect(cancel).toMatchObject({ status: 200, body: { job: { state: 'cancelled' } } });
		const reply = await settledReply(alice, id, sent.reply.id);
		expect(reply.status).toBe('cancelled');
		expect(reply.content.startsWith(seen.text)).toBe(true);
		expect(reply.content.length).toBeLessThan(1500 * 8);
		// The stopped reply still used tokens: counted with llama.cpp's tokenizer, marked estimated.
		const usage = await alice.json<UsageReportDto>('GET', `/api/usage?conversationId=${id}`);
		expect(usage.body.conversation).toMatchObject({ estimated: true });
		expect(usage.body.conversation!.promptTokens).toBeGreaterThan(0);
		expect(usage.body.conversation!.completionTokens).toBeGreaterThan(0);
		const again = await alice.json('POST', `/api/jobs/${sent.job.id}/cancel`);
		expect(again).toMatchObject({ status: 200, body: { job: { state: 'cancelled' } } });
		type Slots = { is_processing: boolean }[];
		await expect
			.poll(
				async () =>
					((await (await fetch(`${llama.url}/slots`)).json()) as Slots).some(
						(s) => s.is_processing
					),
				{ timeout: 5_000 }
			)
			.toBe(false);
	});

	it("another user's job and conversation answer 404", async () => {
		const id = await newConversation(alice);
		const sent = await send(alice, id, 20);
		expect((await bob.call('GET', `/api/jobs/${sent.job.id}/events`)).status).toBe(404);
		expect((await bob.call('POST', `/api/jobs/${sent.job.id}/cancel`)).status).toBe(404);
		expect((await bob.call('GET', `/api/conversations/${id}`)).status).toBe(404);
		expect(
			(await bob.call('POST', `/api/conversations/${id}/messages`, { content: 'hi' })).status
		).toBe(404);
		expect((await bob.call('DELETE', `/api/conversations/${id}`)).status).toBe(404);
		const bobsList = await bob.json<{ conversations: unknown[] }>('GET', '/api/conversations');
		expect(bobsList.body.conversations).toEqual([]);
		await settledReply(alice, id, sent.reply.id);
	});

	it('100 parallel sends: at most 4 run, the rest get 429, and the server stays responsive', async () => {
		const id = await newConversation(bob);
		const started = Date.now();
		const responses = await Promise.all(
			Array.from({ length: 100 }, () =>
				bob.call('POST', `/api/conversations/${id}/messages`, { content: 'burst', maxTokens: 1500 })
			)
		);
		const health = await fetch(`${hearth.url}/healthz`);
		expect(health.ok).toBe(true);
		const statuses = responses.map((r) => r.status);
		expect(statuses.filter((s) => s === 202)).toHaveLength(4);
		expect(statuses.filter((s) => s === 429)).toHaveLength(96);
		const refused = await responses.find((r) => r.status === 429)!.json();
		expect(refused).toEqual({
			error: { code: 'too_many_jobs', message: expect.stringMatching(/4 replies in progress/) }
		});
		expect(Date.now() - started).toBeLessThan(15_000);
		const active = await bob.json<{ jobs: { id: number }[] }>('GET', '/api/jobs');
		expect(active.body.jobs).toHaveLength(4);
		for (const job of active.body.jobs) await bob.call('POST', `/api/jobs/${job.id}/cancel`);
		expect((await bob.json<{ jobs: unknown[] }>('GET', '/api/jobs')).body.jobs).toEqual([]);
	});

	it('the same clientId sent twice is stored once', async () => {
		const id = await newConversation(alice);
		const body = { content: 'only once', maxTokens: 8, clientId: 'outbox-7f3a9c21' };
		const [a, b] = await Promise.all([
			alice.json<SendResultDto>('POST', `/api/conversations/${id}/messages`, body),
			alice.json<SendResultDto>('POST', `/api/conversations/${id}/messages`, body)
		]);
		expect([a.status, b.status].sort()).toEqual([200, 202]);
		expect(a.body.message.id).toBe(b.body.message.id);
		expect(a.body.job.id).toBe(b.body.job.id);
		await settledReply(alice, id, a.body.reply.id);
		expect((await conversation(alice, id)).messages).toHaveLength(2);
	});

	it('bad input gets a clear 4xx', async () => {
		const id = await newConversation(alice);
		const cases: [string, string, unknown, number, RegExp][] = [
			['POST', `/api/conversations/${id}/messages`, { content: '   ' }, 400, /empty/],
			['POST', `/api/conversations/${id}/messages`, {}, 400, /content/],
			[
				'POST',
				`/api/conversations/${id}/messages`,
				{ content: 'x', temperature: 9 },
				400,
				/temperature/
			],
			[
				'POST',
				`/api/conversations/${id}/messages`,
				{ content: 'x', model: 'no-slash' },
				400,
				/provider\/model/
			],
			[
				'POST',
				`/api/conversations/${id}/messages`,
				{ content: 'x', parentId: 999999 },
				400,
				/parentId/
			],
			[
				'POST',
				`/api/conversations/${id}/messages`,
				{ content: 'x', clientId: 'bad id!' },
				400,
				/clientId/
			],
			['POST', '/api/conversations/999999/messages', { content: 'x' }, 404, /conversation/],
			['POST', '/api/conversations/abc/messages', { content: 'x' }, 404, /conversation/],
			['GET', '/api/jobs/0/events', undefined, 404, /job/],
			['PATCH', `/api/conversations/${id}`, { title: 5 }, 400, /title/],
			['PATCH', `/api/conversations/${id}`, { unknownField: 1 }, 400, /unknownField|Unrecognized/i],
			['GET', '/api/conversations?limit=lots', undefined, 400, /whole numbers/]
		];
		for (const [method, path, body, status, message] of cases) {
			const res = await alice.json<{ error: { message: string } }>(method, path, body);
			expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
			expect(res.body.error.message).toMatch(message);
		}
	});
});

/** A fresh llama-server (slow, never stops by itself) and Hearth, with one signed-in user. */
async function withSlowHearth(
	username: string,
	body: (ctx: {
		hearth: HearthServer;
		client: ApiClient;
		signInAgain: () => Promise<ApiClient>;
	}) => Promise<void>
) {
	const llama = await startSlowLlamaServer();
	const hearth = await startHearth({ LLAMA_URL: llama.url });
	try {
		const password = `${username}-password`;
		addUser(hearth, username, password);
		const signInAgain = () => signIn(hearth, username, password);
		await body({ hearth, client: await signInAgain(), signInAgain });
	} finally {
		await hearth.stop();
		await llama.stop();
	}
}

describe('restarts and a missing model server', () => {
	it('SIGKILL mid-reply: after restart the message is there and the reply is interrupted with its partial text, once', async () => {
		await withSlowHearth('carol', async ({ hearth, client, signInAgain }) => {
			const id = await newConversation(client);
			const sent = await send(client, id, 3000);
			const controller = new AbortController();
			const started = Date.now();
			const seen = await read(
				await client.events(sent.job.id, undefined, controller.signal),
				() => Date.now() - started > 2_500
			);
			await hearth.kill('SIGKILL');
			controller.abort();
			await hearth.restart();
			const carol = await signInAgain();
			const conv = await conversation(carol, id);
			expect(conv.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
			expect(conv.messages[0]).toMatchObject({
				content: 'Tell me about the hearth.',
				status: 'done'
			});
			const reply = conv.messages[1]!;
			expect(reply.status).toBe('interrupted');
			expect(reply.error).toMatch(/server stopped/);
			expect(reply.content.length).toBeGreaterThan(0);
			expect(seen.text.startsWith(reply.content)).toBe(true);
			const replay = await read(await carol.events(sent.job.id));
			expect(replay.text).toBe(reply.content);
			expect(replay.end?.event).toBe('done');
			expect((await carol.json<{ jobs: unknown[] }>('GET', '/api/jobs')).body.jobs).toEqual([]);
		});
	}, 60_000);

	it('SIGTERM mid-reply: a graceful stop ends the reply as interrupted, text kept', async () => {
		await withSlowHearth('erin', async ({ hearth, client, signInAgain }) => {
			const id = await newConversation(client);
			const sent = await send(client, id, 3000);
			const controller = new AbortController();
			const seen = await read(
				await client.events(sent.job.id, undefined, controller.signal),
				(n) => n >= 10
			);
			controller.abort();
			await hearth.kill('SIGTERM');
			expect(hearth.process.exitCode).toBe(0);
			await hearth.restart();
			const erin = await signInAgain();
			const reply = (await conversation(erin, id)).messages[1]!;
			expect(reply).toMatchObject({
				status: 'interrupted',
				error: expect.stringMatching(/shut down/)
			});
			expect(reply.content.startsWith(seen.text)).toBe(true);
		});
	}, 60_000);

	it('llama-server down: the job waits for it, retrying, then fails with a readable error', async () => {
		// An away provider is retried for about two minutes (15 attempts); shortened delays here.
		const hearth = await startHearth({
			LLAMA_URL: `http://127.0.0.1:${await freePort()}`,
			HEARTH_TEST_TIMINGS: 'jobRetryBaseMs=10,jobRetryMaxDelayMs=50'
		});
		try {
			addUser(hearth, 'dan', 'dan-password-1');
			const dan = await signIn(hearth, 'dan', 'dan-password-1');
			const id = await newConversation(dan);
			const sent = await send(dan, id, 10, { model: 'llama/any' });
			const events = await read(await dan.events(sent.job.id));
			expect(events.end?.event).toBe('error');
			expect(JSON.parse(events.end!.data)).toEqual({
				code: 'unreachable',
				message: 'Cannot reach llama.cpp — is it running?'
			});
			const reply = await settledReply(dan, id, sent.reply.id);
			expect(reply).toMatchObject({
				status: 'failed',
				error: 'Cannot reach llama.cpp — is it running?'
			});
		} finally {
			await hearth.stop();
		}
	}, 60_000);
});

describe('a hostile upstream and a huge conversation (llama.cpp pointed at a stub)', () => {
	const KEY = 'sk-llama-IntegrationSecret0123456789';
	let stub: StubServer;
	let hearth: HearthServer;
	let client: ApiClient;

	beforeAll(async () => {
		stub = await startOpenAiStub();
		hearth = await startHearth({ LLAMA_URL: stub.url, LLAMA_API_KEY: KEY });
		addUser(hearth, 'dora', 'dora-password');
		client = await signIn(hearth, 'dora', 'dora-password');
	}, 60_000);
	afterAll(async () => {
		await hearth?.stop();
		await stub?.close();
	});

	it('an upstream echoing the Authorization header: the key is not in /api/models, the stored error or the log', async () => {
		stub.behaviour = 'echoKey';
		const id = await newConversation(client);
		const sent = await send(client, id, 8, { model: 'llama/stub' });
		const reply = await settledReply(client, id, sent.reply.id);
		expect(reply).toMatchObject({ status: 'failed', error: 'llama.cpp rejected the API key' });
		expect(stub.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
		const models = await client.call('GET', '/api/models');
		expect(models.status).toBe(200);
		const seen = [
			await models.text(),
			JSON.stringify(await conversation(client, id)),
			JSON.stringify(reply),
			hearth.log()
		];
		// A user sees the model as unavailable; why is the admin's business.
		expect(seen[0]).toContain('unavailable right now');
		for (const text of seen) {
			expect(text).not.toContain(KEY);
			expect(text).not.toContain(KEY.slice(9, -9));
		}
		stub.behaviour = 'ok';
	});

	it('a full conversation is refused with 409 and nothing stored; a reply sends a bounded body', async () => {
		stub.behaviour = 'ok';
		const id = await newConversation(client);
		const path = `/api/conversations/${id}/messages`;
		const big = (i: number) => `${i} `.padEnd(MAX_MESSAGE_CHARS, 'w');
		let refused: { status: number; body: { error?: { code: string; message: string } } } | null =
			null;
		let refusedAt = -1;
		for (let i = 0; i < 40 && !refused; i++) {
			const before = stub.requests.length;
			const res = await client.json<SendResultDto & { error?: { code: string; message: string } }>(
				'POST',
				path,
				{ content: big(i), model: 'llama/stub' }
			);
			if (res.status === 409) {
				refused = res;
				refusedAt = i;
				break;
			}
			expect(res.status, JSON.stringify(res.body.error)).toBe(202);
			await settledReply(client, id, res.body.reply.id);
			// Every reply, however long the conversation, sent a bounded body upstream.
			const sent = stub.requests.slice(before).find((r) => r.path === '/v1/chat/completions')!;
			const body = sent.body as { messages: { role: string; content: string }[] };
			expect(JSON.stringify(body).length).toBeLessThanOrEqual(MAX_HISTORY_CHARS + 10_000);
			expect(body.messages.at(-1)).toEqual({ role: 'user', content: big(i) });
		}
		expect(refused?.body.error).toMatchObject({ code: 'conversation_full' });
		const after = await conversation(client, id);
		expect(after.messages.at(-1)!.role).toBe('assistant');
		expect(refusedAt).toBeGreaterThan(1);
		expect(after.messages.some((m) => m.content.startsWith(`${refusedAt} `))).toBe(false);
		// The conversation is read in pages, each bounded.
		expect(after.earlierBefore).toBeDefined();
		expect((await client.json('GET', `/api/conversations/${id}?before=abc`)).status).toBe(400);
	}, 120_000);
});
