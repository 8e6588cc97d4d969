// The job event streams open in this process: at most MAX_STREAMS_PER_USER per user, and each one
// ends when its session does — at once for a sign-out or password change here, otherwise at the
// next re-check against the database (another instance, the CLI, expiry, a revoked session).
import type { Database } from '$lib/server/db/database';
import type { SseOptions } from '$lib/server/jobs/sse';
import { errorResponse } from '$lib/server/http';
import { findLiveSessionIds } from '$lib/server/repos/sessions';

export const MAX_STREAMS_PER_USER = 8;
/** A stream lasts as long as a reply; a few seconds usually frees a place. */
export const STREAM_CAP_RETRY_AFTER_S = 10;
/** Session ids per re-check query (well under SQLite's and PostgreSQL's parameter limits). */
const SESSION_CHECK_BATCH = 500;

interface OpenStream {
	userId: number;
	sessionId: string | null;
	controller: AbortController;
}

export type StreamSlot =
	| { ok: true; options: Required<Pick<SseOptions, 'signal' | 'onEnd' | 'keepaliveMs'>> }
	| { ok: false; retryAfterSeconds: number };

export class StreamRegistry {
	private readonly byUser = new Map<number, Set<OpenStream>>();
	private timer: ReturnType<typeof setInterval> | null = null;
	private checking = false;

	constructor(private readonly deps: { db: Database; checkIntervalMs: number }) {}

	/** A place for one more stream of this user; `onEnd` (called by the stream) gives it back. */
	open(userId: number, sessionId: string | null): StreamSlot {
		const streams = this.byUser.get(userId) ?? new Set<OpenStream>();
		if (streams.size >= MAX_STREAMS_PER_USER) {
			return { ok: false, retryAfterSeconds: STREAM_CAP_RETRY_AFTER_S };
		}
		const stream: OpenStream = { userId, sessionId, controller: new AbortController() };
		streams.add(stream);
		this.byUser.set(userId, streams);
		this.timer ??= setInterval(() => void this.checkSessions(), this.deps.checkIntervalMs);
		this.timer.unref?.();
		return {
			ok: true,
			options: {
				signal: stream.controller.signal,
				onEnd: () => this.remove(stream),
				keepaliveMs: this.deps.checkIntervalMs
			}
		};
	}

	count(userId: number): number {
		return this.byUser.get(userId)?.size ?? 0;
	}

	/** Ends the streams of a session that was signed out here. */
	endSession(sessionId: string) {
		this.end((stream) => stream.sessionId === sessionId);
	}

	/** Ends a user's streams (their sessions were all revoked), except those of `keepSessionId`. */
	endUser(userId: number, keepSessionId: string | null = null) {
		this.end((stream) => stream.userId === userId && stream.sessionId !== keepSessionId);
	}

	/** Ends every stream whose session no longer exists or has expired. */
	async checkSessions(now = Date.now()): Promise<void> {
		if (this.checking) return;
		this.checking = true;
		try {
			const checked = new Set<string>();
			for (const streams of this.byUser.values())
				for (const { sessionId } of streams) if (sessionId) checked.add(sessionId);
			const ids = [...checked];
			const live = new Set<string>();
			for (let i = 0; i < ids.length; i += SESSION_CHECK_BATCH) {
				const batch = ids.slice(i, i + SESSION_CHECK_BATCH);
				for (const id of await findLiveSessionIds(this.deps.db, batch, now)) live.add(id);
			}
			// Streams opened during the query (a fresh sign-in) were not checked: leave them be.
			this.end(({ sessionId }) => !!sessionId && checked.has(sessionId) && !live.has(sessionId));
		} catch {
			// The database is briefly unavailable: the next check tries again.
		} finally {
			this.checking = false;
		}
	}

	stop() {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
	}

	private end(match: (stream: OpenStream) => boolean) {
		for (const streams of this.byUser.values()) {
			for (const stream of streams) {
				if (!match(stream)) continue;
				this.remove(stream);
				stream.controller.abort();
			}
		}
	}

	private remove(stream: OpenStream) {
		const streams = this.byUser.get(stream.userId);
		if (!streams?.delete(stream)) return;
		if (streams.size === 0) this.byUser.delete(stream.userId);
		if (this.byUser.size === 0) this.stop();
	}
}

export function tooManyStreams(retryAfterSeconds: number): Response {
	return errorResponse(
		429,
		'too_many_streams',
		`At most ${MAX_STREAMS_PER_USER} reply streams can be open at once; close one or retry later`,
		{ 'retry-after': String(retryAfterSeconds) }
	);
}
