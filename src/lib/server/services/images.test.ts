import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, insertUsers, type TestDatabase } from '../../../../tests/support/db';
import {
	startOpenAiStub,
	TINY_PNG_BASE64,
	type StubServer
} from '../../../../tests/support/stub-providers';
import { ProviderRegistry } from '$lib/server/llm/registry';
import { createConversation } from '$lib/server/services/conversations';
import { createImage, readImage } from '$lib/server/services/images';
import type { ProviderRecord } from '$lib/server/services/providers';

const record = (kind: ProviderRecord['kind'], baseUrl: string): ProviderRecord => ({
	id: kind,
	kind,
	name: kind,
	baseUrl,
	apiKey: 'sk-test-1234',
	allowInternal: true,
	maxConcurrency: null,
	enabledModels: [],
	source: 'admin'
});

describe('/image', () => {
	let t: TestDatabase;
	let stub: StubServer;
	let dataDir: string;
	let userId: number;
	let otherId: number;
	beforeAll(async () => {
		t = await freshDatabase('sqlite');
		stub = await startOpenAiStub();
		dataDir = await mkdtemp(path.join(os.tmpdir(), 'hearth-images-'));
		[userId, otherId] = (await insertUsers(t.db, 'u', 'o')) as [number, number];
	});
	afterAll(async () => {
		await stub.close();
		await t.close();
		await rm(dataDir, { recursive: true, force: true });
	});

	it('says clearly that it needs an OpenAI provider when there is none', async () => {
		const providers = new ProviderRegistry(async () => [record('llamacpp', 'http://127.0.0.1:9')]);
		const conv = await createConversation(t.db, userId, {});
		expect(
			await createImage({ db: t.db, providers, dataDir }, userId, conv.id, 'a fox')
		).toMatchObject({
			ok: false,
			code: 'unavailable',
			message: expect.stringContaining('needs an OpenAI provider')
		});
	});

	it('stores the picture for its owner only and answers with a same-origin image', async () => {
		stub.behaviour = 'ok';
		const providers = new ProviderRegistry(async () => [record('openai', `${stub.url}/v1`)]);
		const conv = await createConversation(t.db, userId, {});
		const result = await createImage(
			{ db: t.db, providers, dataDir },
			userId,
			conv.id,
			'a fox [in] snow'
		);
		if (!result.ok) throw new Error(result.message);
		expect(result.conversationId).toBe(conv.id);
		expect(result.message).toMatchObject({ role: 'user', content: '/image a fox [in] snow' });
		const name = /^!\[a fox {2}in {2}snow\]\(\/api\/images\/([\w-]{22})\)$/.exec(
			result.reply.content
		)?.[1];
		expect(name).toBeDefined();
		const request = stub.requests.at(-1)!;
		expect(request.path).toBe('/v1/images/generations');
		expect(request.body).toMatchObject({ prompt: 'a fox [in] snow', model: 'gpt-image-1' });
		expect((await readImage(dataDir, userId, name!))?.toString('base64')).toBe(TINY_PNG_BASE64);
		expect(await readImage(dataDir, otherId, name!)).toBeNull();
		expect(await readImage(dataDir, userId, '../../etc/passwd')).toBeNull();
	});

	it('starts a new conversation only once the picture exists', async () => {
		const providers = new ProviderRegistry(async () => [record('openai', `${stub.url}/v1`)]);
		const count = async () =>
			(await t.db.selectFrom('conversation').select('id').where('user_id', '=', otherId).execute())
				.length;
		const before = await count();
		stub.behaviour = 'status401';
		await createImage({ db: t.db, providers, dataDir }, otherId, null, 'a failing picture');
		expect(await count()).toBe(before);
		stub.behaviour = 'ok';
		const made = await createImage(
			{ db: t.db, providers, dataDir },
			otherId,
			null,
			'a new picture'
		);
		if (!made.ok) throw new Error(made.message);
		expect(await count()).toBe(before + 1);
		expect(made.message.parentId).toBeNull();
		const row = await t.db
			.selectFrom('conversation')
			.select('title')
			.where('id', '=', made.conversationId)
			.executeTakeFirstOrThrow();
		expect(row.title).toBe('a new picture');
	});

	it("passes on the provider's refusal as a readable error", async () => {
		stub.behaviour = 'status401';
		const providers = new ProviderRegistry(async () => [record('openai', `${stub.url}/v1`)]);
		const conv = await createConversation(t.db, userId, {});
		expect(await createImage({ db: t.db, providers, dataDir }, userId, conv.id, 'x')).toMatchObject(
			{
				ok: false,
				code: 'upstream',
				message: expect.stringContaining('rejected the API key')
			}
		);
		expect(
			await createImage({ db: t.db, providers, dataDir }, otherId, conv.id, 'x')
		).toMatchObject({
			ok: false,
			code: 'not_found'
		});
	});
});
