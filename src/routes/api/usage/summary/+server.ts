import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { usageSummary } from '$lib/server/services/usage';
import { parseUsageQuery } from '$lib/server/usage-query';

/** GET /api/usage/summary?from=&to=&tz=&period=day|week|month[&user=<id>|all] — the usage page. */
export const GET: RequestHandler = async ({ locals, url }) => {
	const query = parseUsageQuery(url, locals.user!);
	if (!query.ok) return query.response;
	const { db, providers } = getRuntime();
	const { overview, ...rest } = query.value;
	return json(await usageSummary(db, providers, { ...rest, byUser: overview }));
};
