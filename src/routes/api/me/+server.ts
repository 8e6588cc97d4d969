import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';

export const GET: RequestHandler = ({ locals }) => {
	const user = locals.user!;
	return json({ user: { id: user.id, username: user.username, role: user.role } });
};
