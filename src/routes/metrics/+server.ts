import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from './$types';
import { errorResponse } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';

/**
 * Prometheus scrape endpoint: absent (404) unless METRICS_TOKEN is set, then only for
 * `Authorization: Bearer <token>`. Behind a tunnel every request can come from loopback, so the
 * address proves nothing.
 */
export const GET: RequestHandler = async ({ request }) => {
	const { config, metrics } = getRuntime();
	if (!config.metricsToken) return errorResponse(404, 'not_found', 'Metrics are not enabled');
	const presented = /^Bearer (.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1] ?? '';
	if (!sameSecret(presented, config.metricsToken)) {
		return errorResponse(401, 'unauthorized', 'A metrics bearer token is required', {
			'www-authenticate': 'Bearer realm="hearth-metrics"'
		});
	}
	const { body, contentType } = await metrics.render();
	return new Response(body, {
		headers: { 'content-type': contentType, 'cache-control': 'no-store' }
	});
};

function sameSecret(a: string, b: string): boolean {
	const left = Buffer.from(a);
	const right = Buffer.from(b);
	return left.length === right.length && timingSafeEqual(left, right);
}
