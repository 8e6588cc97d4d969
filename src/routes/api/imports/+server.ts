import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { spoolUpload } from '$lib/server/imports/spool';
import { canStartImport, listUserImports, startImport } from '$lib/server/services/imports';

export const GET: RequestHandler = async ({ locals }) => {
	const { db } = getRuntime();
	return json({ imports: await listUserImports(db, locals.user!.id) });
};

/** The export is streamed to a private temporary file (hooks allow this route a larger body). */
export const POST: RequestHandler = async ({ request, locals }) => {
	const { db, config, imports } = getRuntime();
	const userId = locals.user!.id;
	if (!(await canStartImport(db, userId)))
		return errorResponse(429, 'too_many_imports', 'Wait for your running import to finish');
	const spooled = await spoolUpload(request, config.dataDir);
	if (!spooled.ok) return errorResponse(spooled.status, spooled.code, spooled.message);
	const started = await startImport(db, imports, userId, spooled.files);
	if (!started.ok) return errorResponse(429, 'too_many_imports', started.message);
	return json({ import: started.import }, 202, { location: `/api/imports/${started.import.id}` });
};
