import { sql } from 'kysely';
import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';

export const GET: RequestHandler = async () => {
	const checks: Record<string, 'ok' | string> = {};
	try {
		await sql`select 1`.execute(getRuntime().db);
		checks.database = 'ok';
	} catch (error) {
		checks.database = error instanceof Error ? error.message : 'unreachable';
	}
	const ready = Object.values(checks).every((v) => v === 'ok');
	// Which instance answered (behind a load balancer); an opaque id, new at every start.
	const instance = getRuntime().runner.instanceId;
	return json({ status: ready ? 'ready' : 'not_ready', instance, checks }, ready ? 200 : 503, {
		'cache-control': 'no-store'
	});
};
