import type { RequestHandler } from './$types';
import { errorResponse } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { downloadHeaders } from '$lib/server/exports/download';
import {
	EXPORT_FORMATS,
	exportConversation,
	type ExportFormat
} from '$lib/server/services/exports';

/** GET /api/conversations/:id/export?format=md|json|pdf[&leaf=<message id>] — a download. */
export const GET: RequestHandler = async ({ params, locals, url }) => {
	const formats = url.searchParams.getAll('format');
	const format = formats.length === 1 ? formats[0]! : '';
	if (!(EXPORT_FORMATS as readonly string[]).includes(format))
		return errorResponse(400, 'invalid_request', `format: one of ${EXPORT_FORMATS.join(', ')}`);
	const leaves = url.searchParams.getAll('leaf');
	const leaf = leaves.length === 1 ? parseId(leaves[0]!) : null;
	if (leaves.length > 0 && leaf === null)
		return errorResponse(400, 'invalid_request', 'leaf: a message id');
	const id = parseId(params.id);
	if (!id) return errorResponse(404, 'not_found', 'No such conversation');
	const file = await exportConversation(
		getRuntime().db,
		locals.user!.id,
		id,
		format as ExportFormat,
		leaf
	);
	if (!file.ok)
		return errorResponse(file.code === 'not_found' ? 404 : 413, file.code, file.message);
	return new Response(file.body, { headers: downloadHeaders(file.filename, file.contentType) });
};
