import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { chosenDefaultModel } from '$lib/server/services/models';

export const GET: RequestHandler = async ({ locals }) => {
	const { db, providers: registry } = getRuntime();
	const providers = await registry.models();
	// Only admins see why a provider failed (its address, its upstream's words); users see that
	// its models are unavailable, never another provider's configuration.
	const admin = locals.user?.role === 'admin';
	return json({
		/** The admin's model for new chats (Admin → Local models), if any. */
		default: await chosenDefaultModel(db, providers),
		// Shared presets (what were model aliases) are not listed here: the new-chat preset picker
		// and /preset offer them, once.
		providers: providers.map((p) => ({
			id: p.id,
			name: p.name,
			kind: p.kind,
			source: p.list.source,
			...(p.list.source === 'fallback'
				? {
						error: admin
							? { code: p.list.error.code, message: p.list.error.message }
							: { code: 'unavailable', message: `${p.name} is unavailable right now` }
					}
				: {}),
			models: p.list.models
		}))
	});
};
