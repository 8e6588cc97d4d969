// What the passkey routes accept: WebAuthn responses shaped as @simplewebauthn/browser sends them,
// in a small body; the library checks the rest (and rejects what it cannot parse).
import { z } from 'zod';
import type { RequestEvent } from '@sveltejs/kit';
import { getRuntime } from '$lib/server/runtime';
import { relyingParty, type RelyingParty } from '$lib/server/services/passkeys';

export const PASSKEY_BODY_LIMIT_BYTES = 64 * 1024;
const b64url = z
	.string()
	.min(1)
	.max(16_384)
	.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

const Response = z.object({
	id: b64url.max(1024),
	rawId: b64url.max(1024),
	type: z.literal('public-key'),
	response: z.record(z.string(), z.unknown()),
	clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
	authenticatorAttachment: z.string().max(32).optional()
});

export const RegistrationBody = z.object({
	challengeId: z.string().max(64),
	name: z.string().max(64).default(''),
	response: Response.extend({
		response: z
			.object({
				clientDataJSON: b64url,
				attestationObject: b64url,
				transports: z.array(z.string().max(32)).max(10).optional()
			})
			.passthrough()
	})
});

export const SignInBody = z.object({
	challengeId: z.string().max(64),
	response: Response.extend({
		response: z
			.object({
				clientDataJSON: b64url,
				authenticatorData: b64url,
				signature: b64url,
				userHandle: b64url.optional()
			})
			.passthrough()
	})
});

export function requestRelyingParty(event: Pick<RequestEvent, 'url'>): RelyingParty {
	return relyingParty(getRuntime().config.origin, event.url.origin);
}
