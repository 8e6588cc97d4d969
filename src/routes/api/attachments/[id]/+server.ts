import type { RequestHandler } from './$types';
import { attachmentHeaders } from '$lib/server/attachments/headers';
import { errorResponse } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { readAttachment } from '$lib/server/services/attachments';
import { ATTACHMENT_ID } from '$lib/shared/attachments';

/** GET /api/attachments/:id — the file, to its owner only. */
export const GET: RequestHandler = async ({ params, locals }) => {
	const row = ATTACHMENT_ID.test(params.id)
		? await readAttachment(getRuntime().db, locals.user!.id, params.id)
		: undefined;
	if (!row) return errorResponse(404, 'not_found', 'No such attachment');
	return new Response(new Uint8Array(row.data), {
		headers: attachmentHeaders(row.name, row.type, row.size)
	});
};
