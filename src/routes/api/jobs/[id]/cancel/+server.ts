import type { RequestHandler } from './$types';
import { errorResponse, json } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { toJobDto } from '$lib/server/services/dto';

export const POST: RequestHandler = async ({ params, locals }) => {
	const id = parseId(params.id);
	const job = id && (await getRuntime().runner.cancel(locals.user!.id, id));
	return job ? json({ job: toJobDto(job) }) : errorResponse(404, 'not_found', 'No such job');
};
