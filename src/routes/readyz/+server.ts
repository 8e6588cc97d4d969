import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getLogger } from '$lib/server/log';
import { getRuntime } from '$lib/server/runtime';
import { checkDatabase } from '$lib/server/services/health';

export const GET: RequestHandler = async () => {
	// Unauthenticated: say "down" only; the reason (host names, paths, driver text) goes to the log.
	const checks: Record<string, 'ok' | 'down'> = {};
	const database = await checkDatabase(getRuntime().db);
	checks.database = database.ok ? 'ok' : 'down';
	if (!database.ok) getLogger().warn({ err: database.error }, 'readiness: database check failed');
	const ready = database.ok;
	// PostgreSQL: the LISTEN connection that streams other instances' replies here. Reported, not
	// required: while it reconnects, replies running elsewhere still reach clients (checkpoints).
	const { relay } = getRuntime();
	if (relay) checks.relay = relay.connected ? 'ok' : 'down';
	// Which instance answered (behind a load balancer); an opaque id, new at every start.
	const instance = getRuntime().runner.instanceId;
	return json({ status: ready ? 'ready' : 'not_ready', instance, checks }, ready ? 200 : 503, {
		'cache-control': 'no-store'
	});
};
