import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { beginPasskeySignIn } from '$lib/server/services/passkeys';
import { requestRelyingParty } from '$lib/server/passkey-http';

/** A challenge for signing in with a passkey; no username: the passkey names its user. */
export const POST: RequestHandler = async (event) =>
	json(await beginPasskeySignIn(getRuntime().db, requestRelyingParty(event)));
