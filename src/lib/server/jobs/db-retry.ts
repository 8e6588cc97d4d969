// A job's own writes (its start, its final state) wait out a database that is briefly unable to
// write — locked by another process, out of disk space, PostgreSQL restarting — instead of
// failing the reply: the text is in memory, and it is written once the database is back.
import type { Logger } from 'pino';
import { databaseUnavailable } from '$lib/server/db/errors';

export const DB_RETRY = {
	firstDelayMs: 250,
	maxDelayMs: 5_000,
	/** Past this the write fails as before; stale-job recovery ends the reply from its checkpoint. */
	giveUpAfterMs: 10 * 60_000
};

/** Runs `write`, again after a growing pause while the database is unavailable (bounded). */
export async function whileUnavailable<T>(
	write: () => Promise<T>,
	context: { log: Logger; jobId: number; what: string },
	limits: typeof DB_RETRY = DB_RETRY
): Promise<T> {
	const started = Date.now();
	let delay = limits.firstDelayMs;
	for (let attempt = 1; ; attempt++) {
		try {
			return await write();
		} catch (error) {
			const down = databaseUnavailable(error);
			if (!down || Date.now() - started + delay > limits.giveUpAfterMs) throw error;
			if (attempt === 1)
				context.log.warn(
					{ jobId: context.jobId, code: down.code },
					`${context.what}: database unavailable; retrying`
				);
			await new Promise((resolve) => setTimeout(resolve, delay));
			delay = Math.min(delay * 2, limits.maxDelayMs);
		}
	}
}
