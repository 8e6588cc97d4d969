// The devices a user is signed in on (their sessions), and signing one or all others out. Ending a
// session also ends its open reply streams in this process at once (other instances notice at
// their next session re-check). Devices are named by a derived handle, never by the stored hash.
import { createHash } from 'node:crypto';
import type { Executor } from '$lib/server/db/database';
import type { Session } from '$lib/server/db/schema';
import type { StreamRegistry } from '$lib/server/jobs/streams';
import type { DeviceSessionDto } from '$lib/shared/dto';
import { describeUserAgent } from '$lib/shared/user-agent';
import type { SessionUser } from '$lib/server/auth/session';
import { recordSecurityEvent } from '$lib/server/services/security-events';
import {
	deleteOtherSessions,
	deleteUserSessionsById,
	listUserSessions
} from '$lib/server/repos/sessions';

export interface DeviceDeps {
	db: Executor;
	streams: Pick<StreamRegistry, 'endSession' | 'endUser'>;
}

const DEVICE_ID_SHAPE = /^[A-Za-z0-9_-]{22}$/;

export function deviceId(sessionId: string): string {
	return createHash('sha256').update(`device:${sessionId}`).digest('base64url').slice(0, 22);
}

function toDto(row: Session, currentSessionId: string | null): DeviceSessionDto {
	return {
		id: deviceId(row.id),
		...describeUserAgent(row.user_agent),
		signedInAt: Number(row.created_at),
		lastSeenAt: Number(row.last_seen_at ?? row.created_at),
		current: row.id === currentSessionId
	};
}

export async function listDevices(
	db: Executor,
	userId: number,
	currentSessionId: string | null,
	now = Date.now()
): Promise<DeviceSessionDto[]> {
	const rows = await listUserSessions(db, userId, now);
	return rows
		.map((row) => toDto(row, currentSessionId))
		.sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt - a.lastSeenAt);
}

export type SignOutDeviceResult =
	{ ok: true } | { ok: false; code: 'not_found' | 'current_device'; message: string };

export async function signOutDevice(
	deps: DeviceDeps,
	user: Pick<SessionUser, 'id' | 'username'>,
	currentSessionId: string | null,
	id: string,
	now = Date.now()
): Promise<SignOutDeviceResult> {
	const notFound = { ok: false, code: 'not_found', message: 'No such signed-in device' } as const;
	if (!DEVICE_ID_SHAPE.test(id)) return notFound;
	const userId = user.id;
	const rows = await listUserSessions(deps.db, userId, now);
	const session = rows.find((row) => deviceId(row.id) === id);
	if (!session) return notFound;
	if (session.id === currentSessionId) {
		return {
			ok: false,
			code: 'current_device',
			message: 'This is the device you are using; sign out instead'
		};
	}
	if ((await deleteUserSessionsById(deps.db, userId, [session.id])) === 0) return notFound;
	deps.streams.endSession(session.id);
	const { browser, os } = describeUserAgent(session.user_agent);
	await recordSecurityEvent(deps.db, {
		kind: 'device_signed_out',
		userId,
		username: user.username,
		detail: `${browser} on ${os}`
	});
	return { ok: true };
}

/** Signs out every device of the user but the current one; returns how many were signed out. */
export async function signOutOtherDevices(
	deps: DeviceDeps,
	user: Pick<SessionUser, 'id' | 'username'>,
	currentSessionId: string
): Promise<number> {
	const count = await deleteOtherSessions(deps.db, user.id, currentSessionId);
	deps.streams.endUser(user.id, currentSessionId);
	if (count > 0) {
		await recordSecurityEvent(deps.db, {
			kind: 'device_signed_out',
			userId: user.id,
			username: user.username,
			detail: `all other devices (${count})`
		});
	}
	return count;
}
