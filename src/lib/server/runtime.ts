// Process-wide singletons, created once by startRuntime() (server init or the CLI): the
// configuration, the database (migrated), the secret key, the limiters and the periodic sweep.
import { getConfig, type Config, type TestTimings } from '$lib/server/config';
import { createDatabase, type Database } from '$lib/server/db/database';
import { migrateToLatest } from '$lib/server/db/migrator';
import { getLogger } from '$lib/server/log';
import { loadSecretKey } from '$lib/server/secret';
import { ensurePrivateDir } from '$lib/server/private-files';
import { ProviderRegistry, type Timeouts } from '$lib/server/llm/registry';
import {
	DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
	DEFAULT_IDLE_TIMEOUT_MS
} from '$lib/server/llm/provider-options';
import { loadProviderRecords } from '$lib/server/services/providers';
import { JobBus } from '$lib/server/jobs/bus';
import { JobRunner } from '$lib/server/jobs/runner';
import { Metrics } from '$lib/server/metrics';
import { PgRelay } from '$lib/server/jobs/relay';
import { Sweeper } from '$lib/server/jobs/sweeper';
import { LoginThrottle } from '$lib/server/auth/login-throttle';
import { KEEPALIVE_MS } from '$lib/server/jobs/sse';
import { StreamRegistry } from '$lib/server/jobs/streams';
import { ImportRunner } from '$lib/server/imports/runner';
import { DownloadRunner } from '$lib/server/local-models/downloads';
import { reloadRouter } from '$lib/server/services/local-models';
import { notifyReplyEnded, vapidKeys, vapidSubject } from '$lib/server/services/push';
import {
	PerMinuteLimiter,
	REQUESTS_PER_IP,
	REQUESTS_PER_USER,
	TokenBucketLimiter,
	type TokenBucketOptions
} from '$lib/server/auth/rate-limit';

export interface Runtime {
	config: Config;
	db: Database;
	secretKey: Buffer;
	loginThrottle: LoginThrottle;
	ipLimiter: TokenBucketLimiter;
	userLimiter: TokenBucketLimiter;
	/** Each API key's own rate, where its owner set one. */
	apiKeyLimiter: PerMinuteLimiter;
	providers: ProviderRegistry;
	bus: JobBus;
	runner: JobRunner;
	metrics: Metrics;
	/** Open job event streams: the per-user cap and their end when a session ends. */
	streams: StreamRegistry;
	/** Job events between instances (PostgreSQL only). */
	relay: PgRelay | null;
	sweeper: Sweeper;
	/** Imports of other apps' histories, run in this process. */
	imports: ImportRunner;
	/** Model downloads into LLAMA_MODELS_DIR, run in this process. */
	downloads: DownloadRunner;
}

let runtime: Runtime | null = null;

/** A request-rate bucket, refilled faster where a test asks for it (HEARTH_TEST_TIMINGS). */
function requestRate(rate: TokenBucketOptions, timings: TestTimings): TokenBucketOptions {
	const refillMs = timings.requestRefillMs;
	return refillMs ? { ...rate, refillPerSecond: 1000 / refillMs } : rate;
}

/** The providers' watchdog: the defaults, shortened where a test asks (HEARTH_TEST_TIMINGS). */
function providerTimeouts(timings: TestTimings): Timeouts {
	return {
		firstTokenTimeoutMs: timings.providerFirstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
		idleTimeoutMs: timings.providerIdleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
	};
}

/** Retry delays of replies, shortened where a test asks (HEARTH_TEST_TIMINGS). */
function jobRetryLimits(timings: TestTimings) {
	return {
		...(timings.jobRetryBaseMs ? { retryBaseMs: timings.jobRetryBaseMs } : {}),
		...(timings.jobRetryMaxDelayMs ? { retryMaxDelayMs: timings.jobRetryMaxDelayMs } : {})
	};
}

export async function startRuntime(): Promise<Runtime> {
	if (runtime) return runtime;
	const config = getConfig();
	ensurePrivateDir(config.dataDir);
	const db = await createDatabase(config.database, config.testDiskFullFlag);
	const migrated = await migrateToLatest(db);
	if (!migrated.ok) {
		throw new Error(`database migration ${migrated.failed} failed: ${migrated.error}`);
	}
	if (migrated.applied.length > 0) {
		getLogger().info({ applied: migrated.applied }, 'database migrated');
	}
	const secretKey = loadSecretKey(config);
	// Web Push's VAPID pair is made on the first start, in the database all instances share.
	await vapidKeys(db);
	const providers = new ProviderRegistry(
		() => loadProviderRecords(db, config, secretKey),
		providerTimeouts(config.testTimings)
	);
	const bus = new JobBus();
	const metrics = new Metrics({ db, providers });
	const relay =
		config.database.kind === 'postgres'
			? new PgRelay({
					url: config.database.url,
					bus,
					log: getLogger(),
					onCancel: (jobId) => runner.abortLocal(jobId)
				})
			: null;
	const pushDeps = {
		db,
		log: getLogger(),
		subject: vapidSubject(config.origin),
		allowLoopbackHttp: config.testPushLoopback
	};
	const runner = new JobRunner({
		db,
		providers,
		bus,
		log: getLogger(),
		observer: metrics,
		peers: relay ?? undefined,
		limits: jobRetryLimits(config.testTimings),
		// Fire and forget: a push never delays or fails the reply (services/push.ts bounds it).
		onReplyEnded: (job, state, watched) => {
			if (!watched) void notifyReplyEnded(pushDeps, job, state);
		}
	});
	runtime = {
		config,
		db,
		secretKey,
		providers,
		bus,
		metrics,
		relay,
		runner,
		sweeper: new Sweeper({ db, log: getLogger() }),
		imports: new ImportRunner({
			db,
			dataDir: config.dataDir,
			log: getLogger(),
			recoverAll: config.database.kind === 'sqlite'
		}),
		downloads: new DownloadRunner({
			db,
			log: getLogger(),
			modelsDir: config.llamaModelsDir,
			hfEndpoint: config.hfEndpoint,
			recoverAll: config.database.kind === 'sqlite',
			onInstalled: () => reloadRouter(providers)
		}),
		streams: new StreamRegistry({
			db,
			checkIntervalMs: config.testTimings.sseKeepaliveMs ?? KEEPALIVE_MS
		}),
		loginThrottle: new LoginThrottle(db),
		ipLimiter: new TokenBucketLimiter(requestRate(REQUESTS_PER_IP, config.testTimings)),
		userLimiter: new TokenBucketLimiter(requestRate(REQUESTS_PER_USER, config.testTimings)),
		apiKeyLimiter: new PerMinuteLimiter()
	};
	runtime.sweeper.start();
	return runtime;
}

export function getRuntime(): Runtime {
	if (!runtime) throw new Error('runtime not started');
	return runtime;
}

/** The server (not the CLI) runs replies: recover what a crash left, then claim jobs. */
export async function startJobRunner(): Promise<void> {
	const { runner, config, relay, imports, downloads } = getRuntime();
	await relay?.start();
	await imports.start();
	await downloads.start();
	// One SQLite file means one instance: every job still marked running was ours.
	await runner.start({ recoverAll: config.database.kind === 'sqlite' });
}

export async function stopRuntime(): Promise<void> {
	const current = runtime;
	runtime = null;
	await current?.sweeper.stop();
	await current?.imports.stop();
	await current?.downloads.stop();
	current?.streams.stop();
	await current?.runner.stop();
	await current?.relay?.stop();
	await current?.db.destroy();
}
