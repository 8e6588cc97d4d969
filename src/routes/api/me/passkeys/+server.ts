import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { finishPasskeyRegistration, listPasskeys } from '$lib/server/services/passkeys';
import {
	PASSKEY_BODY_LIMIT_BYTES,
	RegistrationBody,
	requestRelyingParty
} from '$lib/server/passkey-http';

export const GET: RequestHandler = async ({ locals }) =>
	json({ passkeys: await listPasskeys(getRuntime().db, locals.user!.id) });

/** Finishes a registration begun at ./options. */
export const POST: RequestHandler = async (event) => {
	const body = await readJson(event.request, RegistrationBody, PASSKEY_BODY_LIMIT_BYTES);
	if (!body.ok) return body.response;
	const result = await finishPasskeyRegistration(
		getRuntime().db,
		event.locals.user!,
		requestRelyingParty(event),
		body.value as Parameters<typeof finishPasskeyRegistration>[3]
	);
	if (!result.ok) return errorResponse(400, result.code, result.message);
	return json({ passkey: result.passkey }, 201);
};
