import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { beginTotpEnrolment } from '$lib/server/services/two-factor';

/** A new secret to scan (as a QR code) or type; nothing changes until a code confirms it. */
export const POST: RequestHandler = async ({ locals }) => {
	const result = await beginTotpEnrolment(getRuntime(), locals.user!);
	if (!result.ok) return errorResponse(409, result.code, result.message);
	return json(result);
};
