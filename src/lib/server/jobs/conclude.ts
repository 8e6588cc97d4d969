// How a run ends, decided from what it produced, how the provider failed and why it was stopped:
// a retry (with its delay) or one final outcome. Pure, so every case is one row of a table test.
import type { Outcome } from '$lib/server/jobs/finish';
import type { ProviderFailure } from '$lib/server/llm/types';

/** Why the runner stopped a job itself (the abort reason of its controller). */
export const STOP_REASONS = ['cancel', 'shutdown', 'too_long'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export interface ConcludeInput {
	produced: { text: string; reasoning: string };
	failure: ProviderFailure | null;
	stop: StopReason | null;
	/** Runs so far, this one included. */
	attempts: number;
	limits: {
		maxAttempts: number;
		/** Runs while the provider is away (not running, or loading its model) before the reply fails. */
		awayMaxAttempts: number;
		retryBaseMs: number;
		retryMaxDelayMs: number;
		maxDurationMs: number;
	};
}

export type Conclusion = { kind: 'retry'; delayMs: number } | { kind: 'final'; outcome: Outcome };

export const SHUTDOWN_MESSAGE =
	'The server was shut down while this reply was being written; the text so far is kept.';

/**
 * The provider is not there rather than failing: its port is closed (restarting) or it answers 503
 * (llama-server while it loads a model). Worth waiting for longer than a failure.
 */
export function providerAway(failure: ProviderFailure): boolean {
	return failure.code === 'unreachable' || (failure.code === 'upstream' && failure.status === 503);
}

export function conclude({ produced, failure, stop, attempts, limits }: ConcludeInput): Conclusion {
	const nothingYet = !produced.text && !produced.reasoning;
	const budget = failure && providerAway(failure) ? limits.awayMaxAttempts : limits.maxAttempts;
	if (!stop && failure?.retryable && nothingYet && attempts < budget)
		return {
			kind: 'retry',
			delayMs: Math.min(limits.retryBaseMs * 4 ** (attempts - 1), limits.retryMaxDelayMs)
		};
	const final = (outcome: Outcome): Conclusion => ({ kind: 'final', outcome });
	switch (stop) {
		case 'cancel':
			return final({ state: 'cancelled' });
		case 'shutdown':
			return final({ state: 'interrupted', message: SHUTDOWN_MESSAGE });
		case 'too_long':
			return final({
				state: 'failed',
				code: 'too_long',
				message: `The reply took longer than ${Math.round(limits.maxDurationMs / 60_000)} minutes and was stopped; the text so far is kept.`
			});
		case null:
			return final(
				failure
					? { state: 'failed', code: failure.code, message: failure.message }
					: { state: 'done' }
			);
	}
}
