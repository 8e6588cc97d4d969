import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';

export const GET: RequestHandler = () =>
	json({ status: 'ok' }, 200, { 'cache-control': 'no-store' });
