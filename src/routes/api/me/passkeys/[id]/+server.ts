import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { removePasskey } from '$lib/server/services/passkeys';

export const DELETE: RequestHandler = async ({ locals, params }) => {
	const result = await removePasskey(getRuntime().db, locals.user!, params.id.slice(0, 1024));
	if (!result.ok) {
		return errorResponse(result.code === 'not_found' ? 404 : 409, result.code, result.message);
	}
	return json({ ok: true });
};
