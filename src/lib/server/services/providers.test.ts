import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../../tests/support/db';
import { loadConfig, type Config } from '$lib/server/config';
import {
	listProviderViews,
	loadProviderRecords,
	removeProvider,
	saveProvider,
	type ProviderInput,
	type ProviderStore
} from '$lib/server/services/providers';
import { ProviderRegistry } from '$lib/server/llm/registry';

const KEY = 'sk-or-v1-0123456789abcdefSECRET';
const secret = randomBytes(32);
const config = (loadConfig({}) as { ok: true; config: Config }).config;

const input = (overrides: Partial<ProviderInput> = {}): ProviderInput => ({
	kind: 'openai_compatible',
	name: 'OpenRouter',
	baseUrl: 'https://openrouter.ai/api/v1/',
	apiKey: KEY,
	clearKey: false,
	allowInternal: false,
	maxConcurrency: '',
	enabledModels: 'a, b  b',
	enabled: true,
	...overrides
});

describe.each(DIALECTS)('provider settings on %s', (dialect) => {
	let t: TestDatabase;
	let id: string;
	let registry: ProviderRegistry;
	const store = (): ProviderStore => ({ db: t.db, secretKey: secret, providers: registry });
	beforeAll(async () => {
		t = await freshDatabase(dialect);
		registry = new ProviderRegistry(() => loadProviderRecords(t.db, config, secret));
	});
	afterAll(() => t.close());

	it('stores the key encrypted, never in plaintext', async () => {
		const saved = await saveProvider(store(), input(), null);
		expect(saved).toMatchObject({ ok: true, keyDropped: false });
		if (!saved.ok) return;
		id = saved.id;
		const row = await t.db.selectFrom('provider').selectAll().executeTakeFirstOrThrow();
		expect(JSON.stringify(row)).not.toContain(KEY);
		expect(JSON.stringify(row)).not.toContain('0123456789abcdef');
		expect(row).toMatchObject({
			base_url: 'https://openrouter.ai/api/v1',
			key_last4: 'CRET',
			key_origin: 'https://openrouter.ai'
		});
		expect(JSON.parse(row.enabled_models)).toEqual(['a', 'b']);
	});

	it('shows only the last 4 characters, and hands the key to the runtime', async () => {
		const views = await listProviderViews(t.db, config, secret);
		expect(JSON.stringify(views)).not.toContain(KEY.slice(0, -4));
		expect(views.find((v) => v.id === id)).toMatchObject({
			keyLast4: 'CRET',
			keyNeedsReentry: false,
			source: 'admin'
		});
		const records = await loadProviderRecords(t.db, config, secret);
		expect(records.find((r) => r.id === id)?.apiKey).toBe(KEY);
		expect(records.find((r) => r.id === 'llama')).toMatchObject({
			kind: 'llamacpp',
			allowInternal: true,
			source: 'config'
		});
	});

	it('drops the key when the base URL moves to another origin', async () => {
		const moved = await saveProvider(
			store(),
			input({ apiKey: '', baseUrl: 'https://evil.example/v1' }),
			id
		);
		expect(moved).toMatchObject({ ok: true, keyDropped: true });
		const records = await loadProviderRecords(t.db, config, secret);
		expect(records.find((r) => r.id === id)?.apiKey).toBeNull();
		const row = await t.db.selectFrom('provider').selectAll().executeTakeFirstOrThrow();
		expect(row.key_ciphertext).toBeNull();
	});

	it('keeps the key on a same-origin edit, and refuses a tampered ciphertext', async () => {
		await saveProvider(store(), input({ baseUrl: 'https://openrouter.ai/api/v1' }), id);
		await saveProvider(
			store(),
			input({ apiKey: '', name: 'Renamed', baseUrl: 'https://openrouter.ai/api/v2' }),
			id
		);
		let records = await loadProviderRecords(t.db, config, secret);
		expect(records.find((r) => r.id === id)).toMatchObject({ name: 'Renamed', apiKey: KEY });

		const row = await t.db.selectFrom('provider').selectAll().executeTakeFirstOrThrow();
		const [v, iv, body] = row.key_ciphertext!.split('.') as [string, string, string];
		const tampered = Buffer.from(body, 'base64url');
		tampered[3] = tampered[3]! ^ 0xff;
		await t.db
			.updateTable('provider')
			.set({ key_ciphertext: `${v}.${iv}.${tampered.toString('base64url')}` })
			.execute();
		records = await loadProviderRecords(t.db, config, secret);
		expect(records.find((r) => r.id === id)?.apiKey).toBeNull();
		const views = await listProviderViews(t.db, config, secret);
		expect(views.find((v) => v.id === id)?.keyNeedsReentry).toBe(true);
		expect(
			(await loadProviderRecords(t.db, config, randomBytes(32))).find((r) => r.id === id)?.apiKey
		).toBeNull();
	});

	it("keeps the admin's context window and hands it to the adapter, which prefers it", async () => {
		const saved = await saveProvider(
			store(),
			input({ name: 'Windowed', contextWindow: '32768' }),
			null
		);
		if (!saved.ok) throw new Error(saved.message);
		const views = await listProviderViews(t.db, config, secret);
		expect(views.find((v) => v.id === saved.id)).toMatchObject({ contextWindow: 32768 });
		registry.invalidate();
		const provider = (await registry.get(saved.id))!;
		expect(await provider.contextWindow!('gpt-4o')).toBe(32768);
		// Without one, a cloud adapter answers from the table, or does not know.
		expect(await (await registry.get(id))!.contextWindow!('gpt-4o')).toBe(128_000);
		expect(await (await registry.get(id))!.contextWindow!('my-own-model')).toBeNull();
	});

	it.each<[Partial<ProviderInput>, RegExp]>([
		[{ kind: 'mystery' }, /Unknown provider type/],
		[{ name: '' }, /Name/],
		[{ baseUrl: 'ftp://x' }, /http/],
		[{ baseUrl: 'https://user:pw@x.com' }, /key field/],
		[{ baseUrl: 'not a url' }, /not a valid URL/],
		[{ maxConcurrency: '0' }, /1 to 64/],
		[{ maxConcurrency: 'lots' }, /whole number/],
		[{ contextWindow: '100' }, /Context window.*256/],
		[{ contextWindow: '8k' }, /Context window/],
		[{ apiKey: 'has spaces in it' }, /API key/]
	])('rejects bad input %j', async (overrides, message) => {
		const result = await saveProvider(store(), input(overrides), null);
		expect(result).toMatchObject({ ok: false, code: 'invalid' });
		if (!result.ok) expect(result.message).toMatch(message);
	});

	it.each([
		['http://127.0.0.1:8080/v1', /127\.0\.0\.1 is a loopback address.*private network/],
		['http://localhost:11434/v1', /localhost resolves to a loopback address/],
		['http://192.168.1.20/v1', /private/],
		['http://169.254.169.254/v1', /link-local/]
	])(
		'refuses the internal address %s at save unless the admin ticked "private network"',
		async (baseUrl, reason) => {
			const refused = await saveProvider(store(), input({ name: 'Home', baseUrl }), null);
			expect(refused).toMatchObject({ ok: false, code: 'invalid' });
			if (!refused.ok) expect(refused.message).toMatch(reason);
			const allowed = await saveProvider(
				store(),
				input({ name: 'Home', baseUrl, allowInternal: true }),
				null
			);
			expect(allowed).toMatchObject({ ok: true });
			if (allowed.ok) await removeProvider(store(), allowed.id);
		}
	);

	it("refuses a second provider with the same name, in any case, or a configured one's name", async () => {
		const first = await saveProvider(store(), input({ name: 'Twin' }), null);
		expect(first).toMatchObject({ ok: true });
		if (!first.ok) return;
		expect(await saveProvider(store(), input({ name: ' twin ' }), null)).toMatchObject({
			ok: false,
			message: 'A provider named "Twin" already exists'
		});
		const other = await saveProvider(store(), input({ name: 'Other' }), null);
		if (!other.ok) throw new Error(other.message);
		expect(await saveProvider(store(), input({ name: 'TWIN' }), other.id)).toMatchObject({
			ok: false
		});
		// Saving a provider under its own name is fine.
		expect(await saveProvider(store(), input({ name: 'Twin' }), first.id)).toMatchObject({
			ok: true
		});
		expect(
			await saveProvider(store(), input({ name: 'LLAMA.CPP' }), null, ['llama.cpp'])
		).toMatchObject({ ok: false, message: 'A provider named "LLAMA.CPP" already exists' });
		await removeProvider(store(), first.id);
		await removeProvider(store(), other.id);
	});

	it('answers not found for unknown ids, and removes', async () => {
		expect(await saveProvider(store(), input(), 'p999999')).toMatchObject({
			ok: false,
			code: 'not_found'
		});
		expect(await saveProvider(store(), input(), 'llama')).toMatchObject({
			ok: false,
			code: 'not_found'
		});
		expect(await removeProvider(store(), 'llama')).toBe(false);
		expect(await removeProvider(store(), id)).toBe(true);
		expect(await removeProvider(store(), id)).toBe(false);
	});

	it('saving or removing a provider takes effect in the registry at once', async () => {
		const saved = await saveProvider(store(), input({ name: 'First' }), null);
		if (!saved.ok) throw new Error('save failed');
		expect((await registry.get(saved.id))?.name).toBe('First');
		await saveProvider(store(), input({ name: 'Second', apiKey: '' }), saved.id);
		expect((await registry.get(saved.id))?.name).toBe('Second');
		expect(await removeProvider(store(), saved.id)).toBe(true);
		expect(await registry.get(saved.id)).toBeUndefined();
	});
});
