import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { beginPasskeyRegistration } from '$lib/server/services/passkeys';
import { requestRelyingParty } from '$lib/server/passkey-http';

export const POST: RequestHandler = async (event) => {
	const result = await beginPasskeyRegistration(
		getRuntime().db,
		event.locals.user!,
		requestRelyingParty(event)
	);
	if (!result.ok) return errorResponse(409, result.code, result.message);
	return json({ challengeId: result.challengeId, options: result.options });
};
