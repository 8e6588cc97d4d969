import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';

export const GET: RequestHandler = async () => {
	const providers = await getRuntime().providers.models();
	return json({
		providers: providers.map((p) => ({
			id: p.id,
			name: p.name,
			kind: p.kind,
			source: p.list.source,
			...(p.list.source === 'fallback'
				? { error: { code: p.list.error.code, message: p.list.error.message } }
				: {}),
			models: p.list.models
		}))
	});
};
