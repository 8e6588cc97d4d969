// The one reader of process.env. Every setting is validated once at start; a bad value stops the
// server (or the CLI) with one line naming the variable and what is wrong.
import { isIP } from 'node:net';
import path from 'node:path';

export type DatabaseConfig =
	| { readonly kind: 'sqlite'; readonly path: string }
	| { readonly kind: 'postgres'; readonly url: string };

export interface Config {
	readonly dataDir: string;
	readonly database: DatabaseConfig;
	readonly llamaUrl: string;
	readonly llamaApiKey: string | null;
	/** The folder of GGUF files shared with llama-server's router (downloads land here). */
	readonly llamaModelsDir: string;
	/** The Hugging Face hub (or a mirror) that model downloads come from, an origin. */
	readonly hfEndpoint: string;
	readonly origin: string | null;
	/** Extra Host names answered when ORIGIN is unset (besides loopback and this machine's own). */
	readonly allowedHosts: readonly string[];
	readonly host: string;
	readonly port: number;
	readonly trustProxyHeader: string | null;
	readonly metricsToken: string | null;
	readonly hearthSecret: string | null;
	readonly openaiApiKey: string | null;
	readonly anthropicApiKey: string | null;
	readonly logLevel: LogLevel;
	/** Shorter connection timings for tests only (HEARTH_TEST_TIMINGS); empty in production. */
	readonly testTimings: TestTimings;
	/**
	 * Push endpoints at http://127.0.0.1 accepted and reached (a test's stand-in push service).
	 * From HEARTH_TEST_PUSH_LOOPBACK=1, deliberately not a documented setting.
	 */
	readonly testPushLoopback: boolean;
	/**
	 * While this file exists every database write fails as on a full disk (db/fault-injection.ts).
	 * From HEARTH_TEST_DISK_FULL_FLAG, deliberately not a documented setting; null in production.
	 */
	readonly testDiskFullFlag: string | null;
}

/**
 * Overrides of the connection timeouts, stream intervals, request-rate refill and provider
 * watchdog, so that tests of them take seconds.
 * Read from HEARTH_TEST_TIMINGS (`name=ms,name=ms`), which is deliberately not a documented setting.
 */
export const TEST_TIMING_NAMES = [
	'headersTimeoutMs',
	'requestTimeoutMs',
	'socketIdleTimeoutMs',
	'keepAliveTimeoutMs',
	'timeoutCheckIntervalMs',
	'sseKeepaliveMs',
	// How often the request-rate buckets (per IP, per user) regain one request: a browser suite
	// sends hundreds of requests a minute from one address and a handful of users.
	'requestRefillMs',
	// The providers' watchdog (llm/guard.ts): a fault test of a hung model server takes seconds.
	'providerFirstTokenTimeoutMs',
	'providerIdleTimeoutMs',
	// A reply's retries (jobs/runner.ts): waiting two minutes for a provider that is away.
	'jobRetryBaseMs',
	'jobRetryMaxDelayMs'
] as const;
export type TestTimings = Readonly<Partial<Record<(typeof TEST_TIMING_NAMES)[number], number>>>;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type ConfigResult =
	{ ok: true; config: Config } | { ok: false; variable: string; problem: string };

type Env = Record<string, string | undefined>;

/** Every variable Hearth reads (the compose file and .env.example are checked against this). */
export const CONFIG_VARIABLES = [
	'DATA_DIR',
	'DATABASE_URL',
	'LLAMA_URL',
	'LLAMA_API_KEY',
	'LLAMA_MODELS_DIR',
	'HF_ENDPOINT',
	'ORIGIN',
	'ALLOWED_HOSTS',
	'HOST',
	'PORT',
	'TRUST_PROXY_HEADER',
	'METRICS_TOKEN',
	'HEARTH_SECRET',
	'OPENAI_API_KEY',
	'ANTHROPIC_API_KEY',
	'LOG_LEVEL'
] as const;
export type ConfigVariable = (typeof CONFIG_VARIABLES)[number];

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const MIN_SECRET_CHARS = 32;
const MIN_METRICS_TOKEN_CHARS = 16;

class ConfigError extends Error {
	constructor(
		readonly variable: string,
		readonly problem: string
	) {
		super(`${variable}: ${problem}`);
	}
}

function read(env: Env, name: ConfigVariable): string | null {
	const value = env[name]?.trim();
	return value ? value : null;
}

function parseHttpUrl(name: string, value: string, allowPath: boolean): string {
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new ConfigError(name, `"${value}" is not a URL (expected e.g. http://127.0.0.1:8080)`);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw new ConfigError(name, `must start with http:// or https:// (got ${url.protocol})`);
	}
	if (url.username || url.password) throw new ConfigError(name, 'must not contain credentials');
	if (!allowPath && (url.pathname !== '/' || url.search || url.hash)) {
		throw new ConfigError(name, `must be an origin only, like https://chat.example.com`);
	}
	return allowPath ? url.href.replace(/\/+$/, '') : url.origin;
}

function parseDatabase(env: Env, dataDir: string): DatabaseConfig {
	const value = read(env, 'DATABASE_URL');
	if (!value) return { kind: 'sqlite', path: path.join(dataDir, 'hearth.db') };
	if (/^postgres(ql)?:\/\//.test(value)) {
		try {
			new URL(value);
		} catch {
			throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
		}
		return { kind: 'postgres', url: value };
	}
	const file = value.replace(/^(sqlite|file):(\/\/)?/, '');
	if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && file === value) {
		throw new ConfigError('DATABASE_URL', 'must be postgres://…, sqlite:<file> or a file path');
	}
	if (!file) throw new ConfigError('DATABASE_URL', 'names no SQLite file');
	return { kind: 'sqlite', path: path.resolve(file) };
}

function hostUrl(entry: string): URL | null {
	if (/[/@?#]/.test(entry)) return null;
	try {
		return new URL(`http://${isIP(entry) === 6 ? `[${entry}]` : entry}`);
	} catch {
		return null;
	}
}

/** Comma-separated host names or IP addresses, without scheme or port; kept as URL hostnames. */
function parseAllowedHosts(env: Env): string[] {
	const value = read(env, 'ALLOWED_HOSTS');
	if (!value) return [];
	return value
		.split(',')
		.map((entry) => entry.trim())
		.filter(Boolean)
		.map((entry) => {
			const url = hostUrl(entry);
			if (!url || url.host !== url.hostname) {
				throw new ConfigError(
					'ALLOWED_HOSTS',
					`"${entry}" is not a host name or address (list them without scheme or port, like hearth.lan,192.168.1.20)`
				);
			}
			return url.hostname.replace(/\.$/, '');
		});
}

function parsePort(env: Env): number {
	const value = read(env, 'PORT') ?? '3000';
	const port = Number(value);
	if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
		throw new ConfigError('PORT', `must be a whole number from 1 to 65535 (got "${value}")`);
	}
	return port;
}

function parseTestTimings(value: string | undefined): TestTimings {
	const timings: Partial<Record<(typeof TEST_TIMING_NAMES)[number], number>> = {};
	for (const pair of value?.split(',').filter((p) => p.trim()) ?? []) {
		const [name, ms] = pair.split('=').map((part) => part.trim());
		const known = TEST_TIMING_NAMES.find((n) => n === name);
		if (!known || !/^\d+$/.test(ms ?? '') || Number(ms) < 1) {
			throw new ConfigError('HEARTH_TEST_TIMINGS', `"${pair}" is not name=milliseconds`);
		}
		timings[known] = Number(ms);
	}
	return timings;
}

function parseConfig(env: Env): Config {
	const dataDir = path.resolve(read(env, 'DATA_DIR') ?? './data');
	const originValue = read(env, 'ORIGIN');
	const trustProxyHeader = read(env, 'TRUST_PROXY_HEADER');
	if (trustProxyHeader && !HEADER_NAME.test(trustProxyHeader)) {
		throw new ConfigError('TRUST_PROXY_HEADER', `"${trustProxyHeader}" is not a header name`);
	}
	const metricsToken = read(env, 'METRICS_TOKEN');
	if (metricsToken && metricsToken.length < MIN_METRICS_TOKEN_CHARS) {
		throw new ConfigError(
			'METRICS_TOKEN',
			`must be at least ${MIN_METRICS_TOKEN_CHARS} characters`
		);
	}
	const hearthSecret = read(env, 'HEARTH_SECRET');
	if (hearthSecret && hearthSecret.length < MIN_SECRET_CHARS) {
		throw new ConfigError('HEARTH_SECRET', `must be at least ${MIN_SECRET_CHARS} characters`);
	}
	const logLevel = (read(env, 'LOG_LEVEL') ?? 'info') as LogLevel;
	if (!LOG_LEVELS.includes(logLevel)) {
		throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
	}
	return {
		dataDir,
		database: parseDatabase(env, dataDir),
		llamaUrl: parseHttpUrl('LLAMA_URL', read(env, 'LLAMA_URL') ?? 'http://127.0.0.1:8080', true),
		llamaApiKey: read(env, 'LLAMA_API_KEY'),
		llamaModelsDir: path.resolve(read(env, 'LLAMA_MODELS_DIR') ?? './llama/models'),
		hfEndpoint: parseHttpUrl(
			'HF_ENDPOINT',
			read(env, 'HF_ENDPOINT') ?? 'https://huggingface.co',
			true
		),
		origin: originValue ? parseHttpUrl('ORIGIN', originValue, false) : null,
		allowedHosts: parseAllowedHosts(env),
		host: read(env, 'HOST') ?? '127.0.0.1',
		port: parsePort(env),
		trustProxyHeader: trustProxyHeader?.toLowerCase() ?? null,
		metricsToken,
		hearthSecret,
		openaiApiKey: read(env, 'OPENAI_API_KEY'),
		anthropicApiKey: read(env, 'ANTHROPIC_API_KEY'),
		logLevel,
		testTimings: parseTestTimings(env.HEARTH_TEST_TIMINGS),
		testPushLoopback: env.HEARTH_TEST_PUSH_LOOPBACK === '1',
		testDiskFullFlag: env.HEARTH_TEST_DISK_FULL_FLAG
			? path.resolve(env.HEARTH_TEST_DISK_FULL_FLAG)
			: null
	};
}

export function loadConfig(env: Env): ConfigResult {
	try {
		return { ok: true, config: parseConfig(env) };
	} catch (error) {
		if (error instanceof ConfigError) {
			return { ok: false, variable: error.variable, problem: error.problem };
		}
		throw error;
	}
}

let current: Config | null = null;

/** The validated configuration; on a bad value prints one line and exits with status 78 (config). */
export function getConfig(): Config {
	if (current) return current;
	const result = loadConfig(process.env);
	if (!result.ok) {
		process.stderr.write(`hearth: invalid configuration: ${result.variable} ${result.problem}\n`);
		process.exit(78);
	}
	current = result.config;
	return current;
}
