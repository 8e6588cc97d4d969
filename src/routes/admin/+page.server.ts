import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getRuntime } from '$lib/server/runtime';
import { requireAdmin } from '$lib/server/guards';
import { createInvite, removeUser, revokeInvite } from '$lib/server/services/accounts';
import { listUsers } from '$lib/server/repos/users';
import { listOpenInvites } from '$lib/server/repos/invites';
import { field, readForm } from '$lib/server/forms';

export const load: PageServerLoad = async ({ locals, url }) => {
	requireAdmin(locals, url);
	const { db } = getRuntime();
	const [users, invites] = await Promise.all([listUsers(db), listOpenInvites(db, Date.now())]);
	return {
		users: users.map((u) => ({ username: u.username, role: u.role, createdAt: u.created_at })),
		invites: invites.map((i) => ({ id: i.id, role: i.role, expiresAt: i.expires_at }))
	};
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
		if (!result.ok)
			return fail(result.code === 'not_found' ? 404 : 400, { message: result.message });
		return { message: `Removed ${username} and everything they owned` };
	}
};
