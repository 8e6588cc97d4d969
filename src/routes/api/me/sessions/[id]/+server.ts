import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { signOutDevice } from '$lib/server/services/devices';

export const DELETE: RequestHandler = async ({ locals, params }) => {
	const result = await signOutDevice(
		getRuntime(),
		locals.user!,
		locals.session?.id ?? null,
		params.id
	);
	if (!result.ok) {
		return errorResponse(result.code === 'not_found' ? 404 : 409, result.code, result.message);
	}
	return json({ ok: true });
};
