// A job runner over one stub provider (tests/support/stub-providers.ts), started and stopped
// together, for the runner's and the reply pipeline's tests.
import pino from 'pino';
import { JobBus } from '$lib/server/jobs/bus';
import { JobRunner, type RunnerDeps } from '$lib/server/jobs/runner';
import type { Database } from '$lib/server/db/database';
import { ProviderRegistry } from '$lib/server/llm/registry';
import type { ProviderRecord } from '$lib/server/llm/types';
import { startOpenAiStub, stubProviderRecord, type StubServer } from './stub-providers';

export interface StubRunner {
	stub: StubServer;
	providers: ProviderRegistry;
	runner: JobRunner;
	stop(): Promise<void>;
}

/** `limits.pollMs: 3_600_000`: the claim loop never polls during a test (only a hand-over starts a job). */
export async function startStubRunner(
	db: Database,
	options: { record?: Partial<ProviderRecord>; limits?: RunnerDeps['limits'] } = {}
): Promise<StubRunner> {
	const stub = await startOpenAiStub();
	const providers = new ProviderRegistry(async () => [stubProviderRecord(stub, options.record)]);
	const runner = new JobRunner({
		db,
		providers,
		bus: new JobBus(),
		log: pino({ level: 'silent' }),
		limits: options.limits
	});
	await runner.start({ recoverAll: true });
	return {
		stub,
		providers,
		runner,
		async stop() {
			await runner.stop();
			await stub.close();
		}
	};
}
