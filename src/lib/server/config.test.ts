import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '$lib/server/config';

describe('loadConfig', () => {
	it('has working defaults: SQLite in ./data on loopback port 3000', () => {
		const result = loadConfig({});
		expect(result).toMatchObject({
			ok: true,
			config: {
				dataDir: path.resolve('data'),
				database: { kind: 'sqlite', path: path.resolve('data/hearth.db') },
				llamaUrl: 'http://127.0.0.1:8080',
				llamaModelsDir: path.resolve('llama/models'),
				hfEndpoint: 'https://huggingface.co',
				host: '127.0.0.1',
				port: 3000,
				origin: null,
				allowedHosts: [],
				trustProxyHeader: null
			}
		});
	});

	it('reads postgres and sqlite database URLs', () => {
		expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/hearth' })).toMatchObject({
			config: { database: { kind: 'postgres', url: 'postgres://u:p@db:5432/hearth' } }
		});
		expect(loadConfig({ DATABASE_URL: 'sqlite:/var/lib/hearth.db' })).toMatchObject({
			config: { database: { kind: 'sqlite', path: '/var/lib/hearth.db' } }
		});
		expect(
			loadConfig({ ORIGIN: 'https://chat.example.com', TRUST_PROXY_HEADER: 'CF-Connecting-IP' })
		).toMatchObject({
			config: { origin: 'https://chat.example.com', trustProxyHeader: 'cf-connecting-ip' }
		});
	});

	it('reads the shared models folder and the hub (a mirror may be on the LAN, over http)', () => {
		expect(
			loadConfig({ LLAMA_MODELS_DIR: '/models', HF_ENDPOINT: 'http://mirror.lan:8080/' })
		).toMatchObject({
			config: { llamaModelsDir: '/models', hfEndpoint: 'http://mirror.lan:8080' }
		});
	});

	it('reads ALLOWED_HOSTS as a list of host names and addresses', () => {
		expect(
			loadConfig({ ALLOWED_HOSTS: ' Hearth.LAN, 192.168.1.20 ,,::1, pi.local.' })
		).toMatchObject({
			config: { allowedHosts: ['hearth.lan', '192.168.1.20', '[::1]', 'pi.local'] }
		});
	});

	it('reads shorter connection timings for tests, and none by default', () => {
		expect(loadConfig({})).toMatchObject({ config: { testTimings: {} } });
		expect(
			loadConfig({ HEARTH_TEST_TIMINGS: 'headersTimeoutMs=300, socketIdleTimeoutMs=800' })
		).toMatchObject({
			config: { testTimings: { headersTimeoutMs: 300, socketIdleTimeoutMs: 800 } }
		});
		expect(
			loadConfig({
				HEARTH_TEST_TIMINGS: 'providerIdleTimeoutMs=5000,providerFirstTokenTimeoutMs=9000'
			})
		).toMatchObject({
			config: { testTimings: { providerIdleTimeoutMs: 5000, providerFirstTokenTimeoutMs: 9000 } }
		});
	});

	it('accepts loopback http push endpoints only when a test asks for it', () => {
		expect(loadConfig({})).toMatchObject({ config: { testPushLoopback: false } });
		expect(loadConfig({ HEARTH_TEST_PUSH_LOOPBACK: 'yes' })).toMatchObject({
			config: { testPushLoopback: false }
		});
		expect(loadConfig({ HEARTH_TEST_PUSH_LOOPBACK: '1' })).toMatchObject({
			config: { testPushLoopback: true }
		});
	});

	it.each([
		['PORT', 'abc', /whole number/],
		['PORT', '70000', /65535/],
		['LLAMA_URL', 'not a url', /not a URL/],
		['LLAMA_URL', 'ftp://x', /http/],
		['HF_ENDPOINT', 'file:///srv/models', /http/],
		['HF_ENDPOINT', 'https://user:pw@hub.example', /credentials/],
		['ORIGIN', 'https://x.com/path', /origin only/],
		['DATABASE_URL', 'mysql://x', /postgres/],
		['TRUST_PROXY_HEADER', 'bad header:', /not a header name/],
		['METRICS_TOKEN', 'short', /at least 16/],
		['HEARTH_SECRET', 'short', /at least 32/],
		['LOG_LEVEL', 'loud', /one of/],
		['ALLOWED_HOSTS', 'hearth.lan:3000', /without scheme or port/],
		['ALLOWED_HOSTS', 'https://hearth.lan', /without scheme or port/],
		['ALLOWED_HOSTS', 'ok.lan,bad host', /"bad host"/],
		['ALLOWED_HOSTS', 'x@hearth.lan', /not a host name/],
		['HEARTH_TEST_TIMINGS', 'socketIdleTimeoutMs=0', /name=milliseconds/],
		['HEARTH_TEST_TIMINGS', 'bogusMs=5', /name=milliseconds/]
	])('names %s when it is %j', (variable, value, problem) => {
		const result = loadConfig({ [variable]: value });
		expect(result.ok).toBe(false);
		if (!result.ok) {
			expect(result.variable).toBe(variable);
			expect(result.problem).toMatch(problem);
		}
	});
});
