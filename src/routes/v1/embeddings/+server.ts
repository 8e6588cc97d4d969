import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { readV1Json, v1ErrorResponse } from '$lib/server/openai-http';
import { createEmbeddings } from '$lib/server/services/v1-embeddings';

export const POST: RequestHandler = async ({ request, locals }) => {
	const body = await readV1Json(request);
	if (!body.ok) return body.response;
	const { db, providers } = getRuntime();
	const result = await createEmbeddings(
		{ db, providers },
		{ user: locals.user!, key: locals.apiKey! },
		body.value,
		request.signal
	);
	return result.ok ? json(result.body) : v1ErrorResponse(result.error);
};
