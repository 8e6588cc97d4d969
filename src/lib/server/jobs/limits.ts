// The runner's timings and retry bounds (jobs/runner.ts); tests and the fault suite shorten them.
export const JOB_LIMITS = {
	checkpointIntervalMs: 1_000,
	checkpointChars: 4_096,
	heartbeatMs: 10_000,
	staleAfterMs: 45_000,
	pollMs: 1_000,
	maxDurationMs: 15 * 60_000,
	maxAttempts: 3,
	// A provider that is away (restarting, loading its model) is waited for about two minutes:
	// retries after 1 s, 4 s, then every 10 s.
	awayMaxAttempts: 15,
	retryBaseMs: 1_000,
	retryMaxDelayMs: 10_000
};
