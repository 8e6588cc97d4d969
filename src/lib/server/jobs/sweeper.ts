// Periodic cleanup of rows that only age: expired sessions, two-factor sign-ins never finished,
// security events past their 90 days, kept refused texts past their 30 days, /v1 budget
// reservations an instance never settled, and spent password-attempt windows (a locked key's window is
// not spent, so a sweep never unlocks anyone). One unref'd timer per process, started and stopped
// with the runtime; runs never overlap.
import type { Logger } from 'pino';
import type { Database } from '$lib/server/db/database';
import { deleteExpiredSessions } from '$lib/server/repos/sessions';
import { deleteSpentAttempts } from '$lib/server/repos/auth-throttle';
import { deleteExpiredPendingLogins } from '$lib/server/repos/two-factor';
import { deleteSecurityEventsBefore } from '$lib/server/repos/security-events';
import { deleteExpiredChallenges } from '$lib/server/repos/passkeys';
import { SECURITY_EVENT_RETENTION_MS } from '$lib/server/services/security-events';
import { deleteExpiredRefusedTexts } from '$lib/server/services/policy-refusals';
import { deleteAllExpiredReservations } from '$lib/server/repos/budget-reservations';

export const SWEEP_INTERVAL_MS = 5 * 60_000;

export interface SweeperOptions {
	db: Database;
	log: Logger;
	intervalMs?: number;
	now?: () => number;
}

export class Sweeper {
	private timer: ReturnType<typeof setInterval> | null = null;
	private running: Promise<void> | null = null;

	constructor(private readonly options: SweeperOptions) {}

	start(): void {
		if (this.timer) return;
		this.timer = setInterval(() => void this.sweep(), this.options.intervalMs ?? SWEEP_INTERVAL_MS);
		this.timer.unref();
	}

	async stop(): Promise<void> {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
		await this.running;
	}

	/** One pass; a failure is logged and the next pass tries again. */
	sweep(): Promise<void> {
		this.running ??= this.run().finally(() => (this.running = null));
		return this.running;
	}

	private async run(): Promise<void> {
		const { db, log } = this.options;
		try {
			const now = (this.options.now ?? Date.now)();
			const sessions = await deleteExpiredSessions(db, now);
			const attempts = await deleteSpentAttempts(db, now);
			const pendingLogins =
				(await deleteExpiredPendingLogins(db, now)) + (await deleteExpiredChallenges(db, now));
			const events = await deleteSecurityEventsBefore(db, now - SECURITY_EVENT_RETENTION_MS);
			const refusedTexts = await deleteExpiredRefusedTexts(db, now);
			const reservations = await deleteAllExpiredReservations(db, now);
			if (sessions + attempts + pendingLogins + events + refusedTexts + reservations > 0)
				log.debug(
					{ sessions, attempts, pendingLogins, events, refusedTexts, reservations },
					'swept expired rows'
				);
		} catch (error) {
			log.warn({ err: error }, 'sweep of expired rows failed');
		}
	}
}
