import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { chosenDefaultModel } from '$lib/server/services/models';
import { ALIAS_PROVIDER_ID, listModelAliases } from '$lib/server/services/model-aliases';

export const GET: RequestHandler = async ({ locals }) => {
	const { db, providers: registry } = getRuntime();
	const providers = await registry.models();
	const aliases = await listModelAliases(db);
	// Only admins see why a provider failed (its address, its upstream's words); users see that
	// its models are unavailable, never another provider's configuration.
	const admin = locals.user?.role === 'admin';
	return json({
		/** The admin's model for new chats (Admin → Local models), if any. */
		default: await chosenDefaultModel(db, providers),
		providers: [
			...providers.map((p) => ({
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
			})),
			// The admin's aliases, last (the first live provider stays the default): "alias/<name>".
			...(aliases.length > 0
				? [
						{
							id: ALIAS_PROVIDER_ID,
							name: 'Aliases',
							kind: 'alias',
							source: 'live',
							models: aliases.map((a) => ({ id: a.name }))
						}
					]
				: [])
		]
	});
};
