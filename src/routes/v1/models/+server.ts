import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { listV1Models } from '$lib/server/services/v1-models';

export const GET: RequestHandler = async () => {
	const { db, providers } = getRuntime();
	const models = await listV1Models({ db, providers });
	return json({
		object: 'list',
		data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.owned_by }))
	});
};
