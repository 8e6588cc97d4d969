import type { RequestHandler } from './$types';
import { errorResponse } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { readImage } from '$lib/server/services/images';

/** GET /api/images/:name — an image generated for this user (by /image). */
export const GET: RequestHandler = async ({ params, locals }) => {
	const png = await readImage(getRuntime().config.dataDir, locals.user!.id, params.name);
	if (!png) return errorResponse(404, 'not_found', 'No such image');
	return new Response(new Uint8Array(png), {
		headers: {
			'content-type': 'image/png',
			'cache-control': 'private, max-age=31536000, immutable',
			'content-security-policy': "default-src 'none'; sandbox"
		}
	});
};
