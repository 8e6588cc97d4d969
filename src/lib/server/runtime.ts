// Process-wide singletons, created once by startRuntime() (server init or the CLI): the
// configuration, the database (migrated), the secret key and the in-memory limiters.
import { getConfig, type Config } from '$lib/server/config';
import { createDatabase, type Database } from '$lib/server/db/database';
import { migrateToLatest } from '$lib/server/db/migrator';
import { getLogger } from '$lib/server/log';
import { loadSecretKey } from '$lib/server/secret';
import { ProviderRegistry } from '$lib/server/llm/registry';
import { loadProviderRecords } from '$lib/server/services/providers';
import {
	LoginThrottle,
	REQUESTS_PER_IP,
	REQUESTS_PER_USER,
	TokenBucketLimiter
} from '$lib/server/auth/rate-limit';

export interface Runtime {
	config: Config;
	db: Database;
	secretKey: Buffer;
	loginThrottle: LoginThrottle;
	ipLimiter: TokenBucketLimiter;
	userLimiter: TokenBucketLimiter;
	providers: ProviderRegistry;
}

let runtime: Runtime | null = null;

export async function startRuntime(): Promise<Runtime> {
	if (runtime) return runtime;
	const config = getConfig();
	const db = createDatabase(config.database);
	const migrated = await migrateToLatest(db);
	if (!migrated.ok) {
		throw new Error(`database migration ${migrated.failed} failed: ${migrated.error}`);
	}
	if (migrated.applied.length > 0) {
		getLogger().info({ applied: migrated.applied }, 'database migrated');
	}
	const secretKey = loadSecretKey(config);
	runtime = {
		config,
		db,
		secretKey,
		providers: new ProviderRegistry(() => loadProviderRecords(db, config, secretKey)),
		loginThrottle: new LoginThrottle(),
		ipLimiter: new TokenBucketLimiter(REQUESTS_PER_IP),
		userLimiter: new TokenBucketLimiter(REQUESTS_PER_USER)
	};
	return runtime;
}

export function getRuntime(): Runtime {
	if (!runtime) throw new Error('runtime not started');
	return runtime;
}

export async function stopRuntime(): Promise<void> {
	const current = runtime;
	runtime = null;
	await current?.db.destroy();
}
