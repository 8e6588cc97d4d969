// Password-guess budgets, counted in the database before a password is verified, so concurrent
// guesses cannot overtake the count and every instance on one PostgreSQL shares it. Keys: the
// account name (known or not), the client's network (IPv6 by /64), the user changing a password,
// the user typing a two-factor code.
// A locked key keeps its row until its window ends, however many other keys an attacker makes.
import type { Database } from '$lib/server/db/database';
import { clientNetwork } from '$lib/server/net/ip';
import { clearAttempts, releaseAttempt, reserveAttempt } from '$lib/server/repos/auth-throttle';

export interface Budget {
	limit: number;
	windowMs: number;
}

const WINDOW_MS = 15 * 60_000;
export const SIGN_INS_PER_ACCOUNT: Budget = { limit: 5, windowMs: WINDOW_MS };
export const SIGN_INS_PER_NETWORK: Budget = { limit: 30, windowMs: WINDOW_MS };
export const PASSWORD_CHECKS_PER_USER: Budget = { limit: 5, windowMs: WINDOW_MS };
export const SECOND_FACTOR_CHECKS_PER_USER: Budget = { limit: 5, windowMs: WINDOW_MS };

/** On success an identity's count starts over; a shared network only gets this attempt back. */
type OnSuccess = 'clear' | 'release';
interface Held {
	key: string;
	windowEndsAt: number;
	onSuccess: OnSuccess;
}

export type Reservation = { ok: true; held: Held[] } | { ok: false; retryAfterSeconds: number };

const accountKey = (username: string) => `account:${username}`;
const networkKey = (ip: string) => `network:${clientNetwork(ip)}`;
const passwordCheckKey = (userId: number) => `password:${userId}`;
const secondFactorKey = (userId: number) => `second-factor:${userId}`;

export class LoginThrottle {
	constructor(
		private readonly db: Database,
		private readonly now: () => number = Date.now
	) {}

	/** One sign-in attempt against the (normalized) account name and the client's network. */
	reserveSignIn(username: string, ip: string): Promise<Reservation> {
		return this.reserve([
			[accountKey(username), SIGN_INS_PER_ACCOUNT, 'clear'],
			[networkKey(ip), SIGN_INS_PER_NETWORK, 'release']
		]);
	}

	/** One check of a signed-in user's current password (changing it). */
	reservePasswordCheck(userId: number): Promise<Reservation> {
		return this.reserve([[passwordCheckKey(userId), PASSWORD_CHECKS_PER_USER, 'clear']]);
	}

	/** One check of a two-factor code (or recovery code) for a user whose password was right. */
	reserveSecondFactor(userId: number, ip: string): Promise<Reservation> {
		return this.reserve([
			[secondFactorKey(userId), SECOND_FACTOR_CHECKS_PER_USER, 'clear'],
			[networkKey(ip), SIGN_INS_PER_NETWORK, 'release']
		]);
	}

	/** The password was right. */
	async succeeded(reservation: Reservation): Promise<void> {
		if (!reservation.ok) return;
		const cleared = reservation.held.filter((h) => h.onSuccess === 'clear').map((h) => h.key);
		await clearAttempts(this.db, cleared);
		for (const h of reservation.held) {
			if (h.onSuccess === 'release') await releaseAttempt(this.db, h.key, h.windowEndsAt);
		}
	}

	/** The password was never checked (the hasher was busy): the attempt does not count. */
	async release(reservation: Reservation): Promise<void> {
		if (!reservation.ok) return;
		await this.releaseAll(reservation.held);
	}

	/** The admin's way through a lock-out: forgets the account's sign-in and password-check counts. */
	async unlock(username: string, userId: number): Promise<void> {
		await clearAttempts(this.db, [
			accountKey(username),
			passwordCheckKey(userId),
			secondFactorKey(userId)
		]);
	}

	/** All budgets or none: a refusal gives back what this attempt already took. */
	private async reserve(budgets: [string, Budget, OnSuccess][]): Promise<Reservation> {
		const now = this.now();
		const held: Held[] = [];
		for (const [key, { limit, windowMs }, onSuccess] of budgets) {
			const reserved = await reserveAttempt(this.db, key, limit, windowMs, now);
			if (!reserved.ok) {
				await this.releaseAll(held);
				const retryMs = reserved.windowEndsAt - now;
				return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)) };
			}
			held.push({ key, windowEndsAt: reserved.windowEndsAt, onSuccess });
		}
		return { ok: true, held };
	}

	private async releaseAll(held: Held[]): Promise<void> {
		for (const h of held) await releaseAttempt(this.db, h.key, h.windowEndsAt);
	}
}
