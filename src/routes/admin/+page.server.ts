import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getRuntime } from '$lib/server/runtime';
import { requireAdmin } from '$lib/server/guards';
import {
	adminOverview,
	createInvite,
	removeUser,
	revokeInvite
} from '$lib/server/services/accounts';
import { field, readForm } from '$lib/server/forms';
import { failureStatus } from '$lib/server/http';

export const load: PageServerLoad = async ({ locals, url }) => {
	requireAdmin(locals, url);
	return adminOverview(getRuntime().db);
};

export const actions: Actions = {
	invite: async ({ request, locals, url }) => {
		const admin = requireAdmin(locals, url);
		const data = await readForm(request);
		const role = data && field(data, 'role') === 'admin' ? 'admin' : 'user';
		const { db, config } = getRuntime();
		const invite = await createInvite(db, admin, role);
		const base = config.origin ?? url.origin;
		return { inviteUrl: `${base}/invite/${invite.token}`, role };
	},
	revoke: async ({ request, locals, url }) => {
		requireAdmin(locals, url);
		const data = await readForm(request);
		const id = Number(data ? field(data, 'id') : NaN);
		if (!Number.isSafeInteger(id) || !(await revokeInvite(getRuntime().db, id))) {
			return fail(404, { message: 'That invite no longer exists' });
		}
		return { message: 'Invite revoked' };
	},
	remove: async ({ request, locals, url }) => {
		const admin = requireAdmin(locals, url);
		const data = await readForm(request);
		const username = data ? field(data, 'username', 64) : '';
		const result = await removeUser(getRuntime().db, admin, username);
		if (!result.ok) return fail(failureStatus(result.code), { message: result.message });
		return { message: `Removed ${username} and everything they owned` };
	}
};
