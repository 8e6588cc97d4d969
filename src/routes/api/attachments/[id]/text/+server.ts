import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { readAttachmentText } from '$lib/server/services/attachments';
import { ATTACHMENT_ID } from '$lib/shared/attachments';

/** GET /api/attachments/:id/text — a document's extracted text (the preview sheet), owner only. */
export const GET: RequestHandler = async ({ params, locals }) => {
	const found = ATTACHMENT_ID.test(params.id)
		? await readAttachmentText(getRuntime().db, locals.user!.id, params.id)
		: null;
	if (!found) return errorResponse(404, 'not_found', 'No such document');
	return json(found);
};
