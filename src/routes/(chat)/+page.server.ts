import type { PageServerLoad } from './$types';
import { redirect } from '@sveltejs/kit';
import { getRuntime } from '$lib/server/runtime';
import { isSetupNeeded } from '$lib/server/services/accounts';
import { requireUser } from '$lib/server/guards';

export const load: PageServerLoad = async ({ locals, url }) => {
	if (!locals.user && (await isSetupNeeded(getRuntime().db))) redirect(303, '/setup');
	const user = requireUser(locals, url);
	return { username: user.username };
};
