import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { getTwoFactorStatus } from '$lib/server/services/two-factor';

export const GET: RequestHandler = async ({ locals }) =>
	json(await getTwoFactorStatus(getRuntime().db, locals.user!.id));
