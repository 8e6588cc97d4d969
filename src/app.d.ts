import type { SessionInfo, SessionUser } from '$lib/server/auth/session';

declare global {
	namespace App {
		interface Error {
			message: string;
			code?: string;
			errorId?: string;
		}
		interface Locals {
			user: SessionUser | null;
			session: SessionInfo | null;
			clientIp: string;
			/** The signed-in user has two-factor sign-in on. */
			twoFactor: boolean;
		}
		interface PageData {
			user?: { id: number; username: string; role: SessionUser['role'] } | null;
		}
	}
}

export {};
