import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getRuntime } from '$lib/server/runtime';
import { requireAdmin } from '$lib/server/guards';
import { field, readForm } from '$lib/server/forms';
import {
	configProviderNames,
	listProviderViews,
	PROVIDER_KINDS,
	removeProvider,
	saveProvider,
	type ProviderInput
} from '$lib/server/services/providers';
import { recordSecurityEvent } from '$lib/server/services/security-events';
import { failureStatus } from '$lib/server/http';

const TEST_TIMEOUT_MS = 10_000;

function providerInput(data: FormData): ProviderInput {
	return {
		kind: field(data, 'kind', 40),
		name: field(data, 'name', 200),
		baseUrl: field(data, 'baseUrl', 2048),
		apiKey: field(data, 'apiKey', 1024),
		clearKey: data.get('clearKey') === 'on',
		allowInternal: data.get('allowInternal') === 'on',
		maxConcurrency: field(data, 'maxConcurrency', 10),
		contextWindow: field(data, 'contextWindow', 12),
		enabledModels: field(data, 'enabledModels', 10_000),
		enabled: data.get('enabled') === 'on'
	};
}

export const load: PageServerLoad = async ({ locals, url }) => {
	requireAdmin(locals, url);
	const { db, config, secretKey } = getRuntime();
	return { providers: await listProviderViews(db, config, secretKey), kinds: PROVIDER_KINDS };
};

export const actions: Actions = {
	save: async ({ request, locals, url }) => {
		const admin = requireAdmin(locals, url);
		const data = await readForm(request);
		if (!data) return fail(400, { message: 'The form could not be read' });
		const id = field(data, 'id', 20) || null;
		const runtime = getRuntime();
		const result = await saveProvider(
			runtime,
			providerInput(data),
			id,
			configProviderNames(runtime.config)
		);
		if (!result.ok)
			return fail(failureStatus(result.code), { message: result.message, formId: id ?? 'new' });
		await recordSecurityEvent(runtime.db, {
			kind: 'provider_saved',
			userId: admin.id,
			username: admin.username,
			detail: field(data, 'name', 200) + (field(data, 'apiKey', 1024) ? ' (new key)' : '')
		});
		return {
			ok: true,
			message: result.keyDropped
				? 'Saved. The base URL moved to another origin, so the stored key was dropped: enter it again.'
				: 'Saved.'
		};
	},
	remove: async ({ request, locals, url }) => {
		const admin = requireAdmin(locals, url);
		const data = await readForm(request);
		const id = data ? field(data, 'id', 20) : '';
		if (!data || !(await removeProvider(getRuntime(), id))) {
			return fail(404, { message: 'That provider no longer exists' });
		}
		await recordSecurityEvent(getRuntime().db, {
			kind: 'provider_removed',
			userId: admin.id,
			username: admin.username,
			detail: `provider ${id}`
		});
		return { ok: true, message: 'Provider removed.' };
	},
	test: async ({ request, locals, url }) => {
		requireAdmin(locals, url);
		const data = await readForm(request);
		const id = data ? field(data, 'id', 20) : '';
		const provider = await getRuntime().providers.get(id);
		if (!provider)
			return fail(404, { message: 'That provider is unknown or disabled', testedId: id });
		const list = await provider.listModels(AbortSignal.timeout(TEST_TIMEOUT_MS));
		return {
			testedId: id,
			test:
				list.source === 'live'
					? {
							ok: true,
							message: `Connected: ${list.models.length} model(s)`,
							models: list.models.map((m) => m.id)
						}
					: {
							ok: false,
							// Admins see what the upstream said (keys redacted); users only the message.
							message: list.error.detail
								? `${list.error.message}: ${list.error.detail}`
								: list.error.message,
							models: []
						}
		};
	}
};
