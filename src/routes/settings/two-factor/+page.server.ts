import type { PageServerLoad } from './$types';
import { requireUser } from '$lib/server/guards';

export const load: PageServerLoad = ({ locals, url }) => {
	requireUser(locals, url);
	return {};
};
