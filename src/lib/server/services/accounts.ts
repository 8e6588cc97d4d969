// Account use-cases: first-run setup, login, password change, invites, user management.
// Each returns a discriminated union; the routes and the CLI turn it into their own output.
import type { Database } from '$lib/server/db/database';
import type { Role } from '$lib/server/db/schema';
import { isUniqueViolation } from '$lib/server/db/errors';
import {
	checkPasswordPolicy,
	HasherBusyError,
	hashPassword,
	verifyPassword
} from '$lib/server/auth/password';
import type { LoginThrottle, Reservation } from '$lib/server/auth/login-throttle';
import { createSession, type SessionInfo, type SessionUser } from '$lib/server/auth/session';
import { generateToken, hashToken } from '$lib/server/auth/tokens';
import { checkUsername, normalizeUsername } from '$lib/shared/account';
import { claimSetting } from '$lib/server/repos/settings';
import * as users from '$lib/server/repos/users';
import * as invites from '$lib/server/repos/invites';
import { deleteUserSessions } from '$lib/server/repos/sessions';
import { startPendingLogin, userHasTwoFactor } from '$lib/server/services/two-factor';
import { recordSecurityEvent } from '$lib/server/services/security-events';

export const INVITE_LIFETIME_MS = 7 * 24 * 60 * 60_000;
const SETUP_CLAIM_KEY = 'setup_completed_at';

export type Failure<C extends string> = { ok: false; code: C; message: string };
export type SignedIn = { ok: true; user: SessionUser; token: string; session: SessionInfo };

function fail<C extends string>(code: C, message: string): Failure<C> {
	return { ok: false, code, message };
}

export interface Credentials {
	username: string;
	password: string;
}

function checkNewCredentials(
	input: Credentials
): Failure<'invalid'> | { ok: true; username: string } {
	const username = normalizeUsername(input.username);
	const problem = checkUsername(username) ?? checkPasswordPolicy(input.password);
	return problem ? fail('invalid', problem) : { ok: true, username };
}

export async function isSetupNeeded(db: Database): Promise<boolean> {
	return (await users.countUsers(db)) === 0;
}

export type AddUserResult =
	{ ok: true; user: SessionUser } | Failure<'invalid' | 'username_taken' | 'setup_done'>;

export async function addUser(
	db: Database,
	input: Credentials & { role: Role },
	options: { onlyIfFirst?: boolean } = {}
): Promise<AddUserResult> {
	const checked = checkNewCredentials(input);
	if (!checked.ok) return checked;
	const passwordHash = await hashPassword(input.password);
	const now = Date.now();
	try {
		return await db.transaction().execute(async (trx) => {
			if (options.onlyIfFirst) {
				const first = (await users.countUsers(trx)) === 0;
				if (!first || !(await claimSetting(trx, SETUP_CLAIM_KEY, String(now), now))) {
					return fail('setup_done', 'Hearth is already set up; sign in instead');
				}
			}
			const user = await users.insertUser(trx, {
				username: checked.username,
				password_hash: passwordHash,
				role: input.role,
				created_at: now,
				updated_at: now
			});
			return { ok: true as const, user: { id: user.id, username: user.username, role: user.role } };
		});
	} catch (error) {
		if (isUniqueViolation(error)) return fail('username_taken', 'That username is taken');
		throw error;
	}
}

/** Creates the first admin; refused once any user exists, even when two browsers race. */
export async function setupAdmin(
	db: Database,
	input: Credentials,
	userAgent: string | null
): Promise<SignedIn | Failure<'invalid' | 'username_taken' | 'setup_done'>> {
	if (!(await isSetupNeeded(db)))
		return fail('setup_done', 'Hearth is already set up; sign in instead');
	const added = await addUser(db, { ...input, role: 'admin' }, { onlyIfFirst: true });
	if (!added.ok) return added;
	const { token, session } = await createSession(db, added.user.id, userAgent);
	return { ok: true, user: added.user, token, session };
}

export type Throttled = Failure<'throttled'> & { retryAfterSeconds: number };

function throttled(what: string, retryAfterSeconds: number): Throttled {
	return {
		...fail('throttled', `Too many ${what}; try again in ${retryAfterSeconds} s`),
		retryAfterSeconds
	};
}

/**
 * Verifies a password against a reservation already counted: the throttle hears whether it
 * was right, or gets the attempt back when the hasher was too busy to check it.
 */
async function checkReserved(
	throttle: LoginThrottle,
	reservation: Reservation,
	passwordHash: string | null,
	password: string
): Promise<boolean | HasherBusyError> {
	let valid: boolean;
	try {
		valid = await verifyPassword(passwordHash, password);
	} catch (error) {
		if (!(error instanceof HasherBusyError)) throw error;
		await throttle.release(reservation);
		return error;
	}
	if (valid) await throttle.succeeded(reservation);
	return valid;
}

export type LoginFailure = Failure<'invalid_credentials' | 'busy'> | Throttled;
/** The password was right; the account wants its second factor next (see services/two-factor). */
export type SecondFactorNeeded = Failure<'second_factor'> & {
	pendingToken: string;
	expiresAt: number;
};

export async function login(
	db: Database,
	throttle: LoginThrottle,
	input: Credentials & { ip: string; userAgent: string | null }
): Promise<SignedIn | SecondFactorNeeded | LoginFailure> {
	const username = normalizeUsername(input.username).slice(0, 64);
	const where = { ip: input.ip, userAgent: input.userAgent };
	const reservation = await throttle.reserveSignIn(username, input.ip);
	if (!reservation.ok) {
		const known = await users.findUserByUsername(db, username);
		if (known) {
			await recordSecurityEvent(db, {
				kind: 'sign_in_locked',
				userId: known.id,
				username: known.username,
				...where
			});
		}
		return throttled('failed sign-ins', reservation.retryAfterSeconds);
	}
	const user = await users.findUserByUsername(db, username);
	const password = input.password.slice(0, 1024);
	const valid = await checkReserved(throttle, reservation, user?.password_hash ?? null, password);
	if (valid instanceof HasherBusyError) return fail('busy', valid.message);
	if (!user || !valid) {
		await recordSecurityEvent(db, {
			kind: 'sign_in_failed',
			userId: user?.id ?? null,
			username,
			detail: user ? 'wrong password' : 'no such account',
			...where
		});
		return fail('invalid_credentials', 'Wrong username or password');
	}
	if (await userHasTwoFactor(db, user.id)) {
		const pending = await startPendingLogin(db, user.id);
		return { ...fail('second_factor', 'Enter the code from your authenticator app'), ...pending };
	}
	const { token, session } = await createSession(db, user.id, input.userAgent);
	await recordSecurityEvent(db, {
		kind: 'sign_in',
		userId: user.id,
		username: user.username,
		detail: 'password',
		...where
	});
	return {
		ok: true,
		user: { id: user.id, username: user.username, role: user.role },
		token,
		session
	};
}

/** Changes the password and ends every session of the user; this browser gets a fresh one. */
export async function changePassword(
	db: Database,
	throttle: LoginThrottle,
	user: SessionUser,
	input: { currentPassword: string; newPassword: string },
	userAgent: string | null
): Promise<SignedIn | Failure<'wrong_password' | 'invalid' | 'busy'> | Throttled> {
	const problem = checkPasswordPolicy(input.newPassword);
	if (problem) return fail('invalid', problem);
	const reservation = await throttle.reservePasswordCheck(user.id);
	if (!reservation.ok) return throttled('wrong passwords', reservation.retryAfterSeconds);
	const row = await users.findUserById(db, user.id);
	const current = input.currentPassword.slice(0, 1024);
	const valid = await checkReserved(throttle, reservation, row?.password_hash ?? null, current);
	if (valid instanceof HasherBusyError) return fail('busy', valid.message);
	if (!row || !valid) return fail('wrong_password', 'Current password is wrong');
	try {
		const passwordHash = await hashPassword(input.newPassword);
		const now = Date.now();
		const created = await db.transaction().execute(async (trx) => {
			await users.updatePasswordHash(trx, user.id, passwordHash, now);
			await deleteUserSessions(trx, user.id);
			return createSession(trx, user.id, userAgent, now);
		});
		await recordSecurityEvent(db, {
			kind: 'password_changed',
			userId: user.id,
			username: user.username,
			userAgent
		});
		return { ok: true, user, ...created };
	} catch (error) {
		if (error instanceof HasherBusyError) return fail('busy', error.message);
		throw error;
	}
}

/** The admin CLI's way through a lock-out: the account's password-attempt counts start over. */
export async function unlockUser(
	db: Database,
	throttle: LoginThrottle,
	username: string
): Promise<{ ok: true } | Failure<'not_found'>> {
	const name = normalizeUsername(username);
	const user = await users.findUserByUsername(db, name);
	if (!user) return fail('not_found', `No user named "${name}"`);
	await throttle.unlock(user.username, user.id);
	return { ok: true };
}

export async function setPassword(
	db: Database,
	username: string,
	password: string
): Promise<{ ok: true } | Failure<'invalid' | 'not_found'>> {
	const problem = checkPasswordPolicy(password);
	if (problem) return fail('invalid', problem);
	const user = await users.findUserByUsername(db, normalizeUsername(username));
	if (!user) return fail('not_found', `No user named "${normalizeUsername(username)}"`);
	const passwordHash = await hashPassword(password);
	await db.transaction().execute(async (trx) => {
		await users.updatePasswordHash(trx, user.id, passwordHash, Date.now());
		await deleteUserSessions(trx, user.id);
	});
	await recordSecurityEvent(db, {
		kind: 'password_changed',
		userId: user.id,
		username: user.username,
		detail: 'set by the administrator (CLI)'
	});
	return { ok: true };
}

export async function createInvite(
	db: Database,
	admin: SessionUser,
	role: Role,
	now = Date.now()
): Promise<{ token: string; id: number; expiresAt: number }> {
	const token = generateToken();
	const invite = await invites.insertInvite(db, {
		token_hash: hashToken(token),
		role,
		created_by: admin.id,
		created_at: now,
		expires_at: now + INVITE_LIFETIME_MS
	});
	return { token, id: invite.id, expiresAt: invite.expires_at };
}

export async function findInvite(db: Database, token: string) {
	return invites.findUsableInvite(db, hashToken(token), Date.now());
}

export async function acceptInvite(
	db: Database,
	token: string,
	input: Credentials,
	userAgent: string | null
): Promise<SignedIn | Failure<'invalid' | 'username_taken' | 'invalid_invite'>> {
	const invalidInvite = fail('invalid_invite', 'This invite link is invalid, used or expired');
	const invite = await findInvite(db, token);
	if (!invite) return invalidInvite;
	const checked = checkNewCredentials(input);
	if (!checked.ok) return checked;
	const passwordHash = await hashPassword(input.password);
	const now = Date.now();
	try {
		return await db.transaction().execute(async (trx) => {
			const user = await users.insertUser(trx, {
				username: checked.username,
				password_hash: passwordHash,
				role: invite.role,
				created_at: now,
				updated_at: now
			});
			if (!(await invites.claimInvite(trx, invite.id, user.id, now))) {
				throw new InviteRaceLost();
			}
			const { token: sessionToken, session } = await createSession(trx, user.id, userAgent, now);
			return {
				ok: true as const,
				user: { id: user.id, username: user.username, role: user.role },
				token: sessionToken,
				session
			};
		});
	} catch (error) {
		if (error instanceof InviteRaceLost) return invalidInvite;
		if (isUniqueViolation(error)) return fail('username_taken', 'That username is taken');
		throw error;
	}
}

class InviteRaceLost extends Error {}

/** What the admin page lists: every user and the invites still open. */
export async function adminOverview(db: Database, now = Date.now()) {
	const [userRows, inviteRows] = await Promise.all([
		users.listUsers(db),
		invites.listOpenInvites(db, now)
	]);
	return {
		users: userRows.map((u) => ({ username: u.username, role: u.role, createdAt: u.created_at })),
		invites: inviteRows.map((i) => ({ id: i.id, role: i.role, expiresAt: i.expires_at }))
	};
}

export async function revokeInvite(db: Database, inviteId: number): Promise<boolean> {
	return invites.deleteInvite(db, inviteId);
}

export async function removeUser(
	db: Database,
	actor: SessionUser | null,
	username: string
): Promise<{ ok: true } | Failure<'not_found' | 'self' | 'last_admin'>> {
	const name = normalizeUsername(username);
	return db.transaction().execute(async (trx) => {
		const target = await users.findUserByUsername(trx, name);
		if (!target) return fail('not_found', `No user named "${name}"`);
		if (actor && target.id === actor.id) return fail('self', 'You cannot remove your own account');
		if (target.role === 'admin' && (await users.countUsers(trx, 'admin')) <= 1) {
			return fail('last_admin', 'The last admin cannot be removed');
		}
		await users.deleteUser(trx, target.id);
		return { ok: true as const };
	});
}
