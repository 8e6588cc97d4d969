import { error, redirect } from '@sveltejs/kit';
import type { SessionUser } from '$lib/server/auth/session';

export function requireUser(locals: App.Locals, url: URL): SessionUser {
	if (!locals.user) {
		const next = url.pathname === '/' ? '' : `?next=${encodeURIComponent(url.pathname)}`;
		redirect(303, `/login${next}`);
	}
	return locals.user;
}

/** Admin pages answer 404 to everyone else: their existence is nobody else's business. */
export function requireAdmin(locals: App.Locals, url: URL): SessionUser {
	const user = requireUser(locals, url);
	if (user.role !== 'admin') error(404, 'Not found');
	return user;
}
