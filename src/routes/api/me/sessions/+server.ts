import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { listDevices, signOutOtherDevices } from '$lib/server/services/devices';

export const GET: RequestHandler = async ({ locals }) =>
	json({
		devices: await listDevices(getRuntime().db, locals.user!.id, locals.session?.id ?? null)
	});

/** Signs out every other device. */
export const DELETE: RequestHandler = async ({ locals }) => {
	if (!locals.session)
		return errorResponse(400, 'no_session', 'Only a signed-in browser can do this');
	const signedOut = await signOutOtherDevices(getRuntime(), locals.user!, locals.session.id);
	return json({ signedOut });
};
