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
import { changeTwoFactorRequirement, isTwoFactorRequired } from '$lib/server/services/two-factor';
import { field, readForm } from '$lib/server/forms';
import { failureStatus } from '$lib/server/http';
import { parseId } from '$lib/server/ids';

export const load: PageServerLoad = async ({ locals, url }) => {
	requireAdmin(locals, url);
	const { db } = getRuntime();
	const [overview, twoFactorRequired] = await Promise.all([
		adminOverview(db),
		isTwoFactorRequired(db)
	]);
	return { ...overview, twoFactorRequired };
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
		const id = data ? parseId(field(data, 'id')) : null;
		if (id === null || !(await revokeInvite(getRuntime().db, id))) {
			return fail(404, { message: 'That invite no longer exists' });
		}
		return { message: 'Invite revoked' };
	},
	twoFactor: async ({ request, locals, url }) => {
		requireAdmin(locals, url);
		const data = await readForm(request);
		const required = data ? field(data, 'required') === 'on' : false;
		const result = await changeTwoFactorRequirement(
			getRuntime().db,
			{ hasSecondFactor: locals.twoFactor },
			required
		);
		if (!result.ok) return fail(failureStatus(result.code), { twoFactorMessage: result.message });
		return {
			twoFactorMessage: required
				? 'Everyone now needs two-factor sign-in; people without it are asked to set it up.'
				: 'Two-factor sign-in is now optional.'
		};
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
