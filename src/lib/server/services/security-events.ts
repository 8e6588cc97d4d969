// The account activity log: what the services record (sign-ins, two-factor, password, devices,
// providers) and what a user — or the admin, for everyone — reads back. Recording never fails
// the action it describes; rows older than SECURITY_EVENT_RETENTION_MS are swept.
import type { Executor } from '$lib/server/db/database';
import type { SecurityEvent } from '$lib/server/db/schema';
import type { SecurityEventDto, SecurityEventKind } from '$lib/shared/dto';
import { describeUserAgent } from '$lib/shared/user-agent';
import { getLogger } from '$lib/server/log';
import {
	insertSecurityEvent,
	listSecurityEvents as listRows
} from '$lib/server/repos/security-events';

export const SECURITY_EVENT_RETENTION_MS = 90 * 24 * 60 * 60_000;
export const SECURITY_EVENTS_PAGE = 100;
const MAX_FIELD = 256;

export interface SecurityEventInput {
	kind: SecurityEventKind;
	userId: number | null;
	username: string;
	ip?: string | null;
	userAgent?: string | null;
	detail?: string | null;
}

export async function recordSecurityEvent(
	db: Executor,
	event: SecurityEventInput,
	now = Date.now()
): Promise<void> {
	try {
		await insertSecurityEvent(db, {
			kind: event.kind,
			user_id: event.userId,
			username: event.username.slice(0, 64),
			ip: event.ip?.slice(0, 64) ?? null,
			user_agent: event.userAgent?.slice(0, MAX_FIELD) ?? null,
			detail: event.detail?.slice(0, MAX_FIELD) ?? null,
			created_at: now
		});
	} catch (error) {
		getLogger().warn({ err: error, kind: event.kind }, 'could not record a security event');
	}
}

function toDto(row: SecurityEvent): SecurityEventDto {
	const label = row.user_agent ? describeUserAgent(row.user_agent) : null;
	return {
		id: Number(row.id),
		kind: row.kind,
		username: row.username,
		at: Number(row.created_at),
		ip: row.ip,
		device: label ? `${label.browser} on ${label.os}` : null,
		detail: row.detail
	};
}

/** A user's own events, or (for the admin, `userId` null) everyone's; newest first. */
export async function listSecurityEvents(
	db: Executor,
	userId: number | null,
	before?: number
): Promise<SecurityEventDto[]> {
	const rows = await listRows(db, { userId, limit: SECURITY_EVENTS_PAGE, before });
	return rows.map(toDto);
}
