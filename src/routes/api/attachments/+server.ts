import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { uploadAttachment } from '$lib/server/services/attachments';

/** POST /api/attachments — multipart, one file named `file` → 201 AttachmentDto. */
export const POST: RequestHandler = async ({ locals, request }) => {
	if (!/^multipart\/form-data\b/i.test(request.headers.get('content-type') ?? ''))
		return errorResponse(415, 'unsupported_media_type', 'Send the file as multipart/form-data');
	let form: FormData;
	try {
		form = await request.formData();
	} catch {
		// Past the size limit too (the hooks then answer 413 instead).
		return errorResponse(400, 'invalid_request', 'The upload could not be read');
	}
	const files = [...form.values()].filter((value): value is File => typeof value !== 'string');
	if (files.length !== 1 || form.get('file') !== files[0])
		return errorResponse(400, 'invalid_request', 'file: send exactly one file, named "file"');
	const file = files[0]!;
	const result = await uploadAttachment(getRuntime().db, locals.user!.id, {
		name: file.name,
		bytes: new Uint8Array(await file.arrayBuffer())
	});
	if (!result.ok) return failureResponse(result);
	return json(result.attachment, 201, { location: `/api/attachments/${result.attachment.id}` });
};
