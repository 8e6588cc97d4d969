import type { RequestHandler } from './$types';
import { errorResponse } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { downloadHeaders } from '$lib/server/exports/download';
import { exportArchive } from '$lib/server/services/exports';

/** GET /api/export — all of the user's data as one ZIP, streamed as it is written. */
export const GET: RequestHandler = ({ locals }) => {
	const archive = exportArchive(getRuntime().db, locals.user!.id);
	if (!archive.ok)
		return errorResponse(429, archive.code, archive.message, { 'retry-after': '30' });
	return new Response(archive.body, {
		headers: downloadHeaders(archive.filename, archive.contentType)
	});
};
