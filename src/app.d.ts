import type { SessionInfo, SessionUser } from '$lib/server/auth/session';
import type { ApiKeyIdentity } from '$lib/server/services/api-keys';

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
			/** The personal API key a /v1 request came with (never set elsewhere). */
			apiKey: ApiKeyIdentity['key'] | null;
		}
		interface PageData {
			user?: { id: number; username: string; role: SessionUser['role'] } | null;
		}
	}
}

export {};
