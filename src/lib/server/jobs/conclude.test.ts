import { describe, expect, it } from 'vitest';
import { conclude, SHUTDOWN_MESSAGE, type ConcludeInput } from '$lib/server/jobs/conclude';
import type { ProviderFailure } from '$lib/server/llm/types';

const limits = {
	maxAttempts: 3,
	awayMaxAttempts: 15,
	retryBaseMs: 1_000,
	retryMaxDelayMs: 10_000,
	maxDurationMs: 15 * 60_000
};
const none = { text: '', reasoning: '' };
const some = { text: 'Once', reasoning: '' };
const thought = { text: '', reasoning: 'Hmm' };
const retryable: ProviderFailure = {
	code: 'interrupted',
	message: 'closed mid-reply',
	retryable: true
};
const away: ProviderFailure = { code: 'unreachable', message: 'down', retryable: true };
const loading: ProviderFailure = {
	code: 'upstream',
	status: 503,
	message: 'HTTP 503',
	retryable: true
};
const serverError: ProviderFailure = { ...loading, status: 500, message: 'HTTP 500' };
const fatal: ProviderFailure = { code: 'auth', message: 'bad key', retryable: false };

const cases: [string, Omit<ConcludeInput, 'limits'>, ReturnType<typeof conclude>][] = [
	[
		'clean end',
		{ produced: some, failure: null, stop: null, attempts: 1 },
		{ kind: 'final', outcome: { state: 'done' } }
	],
	[
		'clean end with nothing produced',
		{ produced: none, failure: null, stop: null, attempts: 1 },
		{ kind: 'final', outcome: { state: 'done' } }
	],
	[
		'retryable failure before any text: first retry after the base delay',
		{ produced: none, failure: retryable, stop: null, attempts: 1 },
		{ kind: 'retry', delayMs: 1_000 }
	],
	[
		'retryable failure, second attempt: four times longer',
		{ produced: none, failure: retryable, stop: null, attempts: 2 },
		{ kind: 'retry', delayMs: 4_000 }
	],
	[
		'retryable failure on the last attempt fails',
		{ produced: none, failure: retryable, stop: null, attempts: 3 },
		{
			kind: 'final',
			outcome: { state: 'failed', code: 'interrupted', message: 'closed mid-reply' }
		}
	],
	[
		'provider away (port closed) on the third attempt: still waited for',
		{ produced: none, failure: away, stop: null, attempts: 3 },
		{ kind: 'retry', delayMs: 10_000 }
	],
	[
		'provider loading its model (503) on the third attempt: still waited for',
		{ produced: none, failure: loading, stop: null, attempts: 3 },
		{ kind: 'retry', delayMs: 10_000 }
	],
	[
		'provider away for the whole budget: fails',
		{ produced: none, failure: away, stop: null, attempts: 15 },
		{ kind: 'final', outcome: { state: 'failed', code: 'unreachable', message: 'down' } }
	],
	[
		'a 500 is a failure, not an absence: three attempts',
		{ produced: none, failure: serverError, stop: null, attempts: 3 },
		{ kind: 'final', outcome: { state: 'failed', code: 'upstream', message: 'HTTP 500' } }
	],
	[
		'provider away after text: kept, failed, not retried',
		{ produced: some, failure: away, stop: null, attempts: 1 },
		{ kind: 'final', outcome: { state: 'failed', code: 'unreachable', message: 'down' } }
	],
	[
		'retryable failure after text: kept, failed, not retried',
		{ produced: some, failure: retryable, stop: null, attempts: 1 },
		{
			kind: 'final',
			outcome: { state: 'failed', code: 'interrupted', message: 'closed mid-reply' }
		}
	],
	[
		'retryable failure after reasoning only: not retried either',
		{ produced: thought, failure: retryable, stop: null, attempts: 1 },
		{
			kind: 'final',
			outcome: { state: 'failed', code: 'interrupted', message: 'closed mid-reply' }
		}
	],
	[
		'failure that is not retryable',
		{ produced: none, failure: fatal, stop: null, attempts: 1 },
		{ kind: 'final', outcome: { state: 'failed', code: 'auth', message: 'bad key' } }
	],
	[
		'cancel wins over a failure',
		{ produced: none, failure: retryable, stop: 'cancel', attempts: 1 },
		{ kind: 'final', outcome: { state: 'cancelled' } }
	],
	[
		'cancel with text',
		{ produced: some, failure: null, stop: 'cancel', attempts: 1 },
		{ kind: 'final', outcome: { state: 'cancelled' } }
	],
	[
		'shutdown: interrupted, text kept',
		{ produced: some, failure: null, stop: 'shutdown', attempts: 1 },
		{ kind: 'final', outcome: { state: 'interrupted', message: SHUTDOWN_MESSAGE } }
	],
	[
		'too long',
		{ produced: some, failure: null, stop: 'too_long', attempts: 1 },
		{
			kind: 'final',
			outcome: {
				state: 'failed',
				code: 'too_long',
				message: 'The reply took longer than 15 minutes and was stopped; the text so far is kept.'
			}
		}
	]
];

describe('conclude', () => {
	it.each(cases)('%s', (_name, input, expected) => {
		expect(conclude({ ...input, limits })).toEqual(expected);
	});
});
