import type { RequestHandler } from './$types';
import { errorResponse } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { exportUsage } from '$lib/server/services/usage-export';
import { startOfLocalDay, nextDay } from '$lib/server/services/usage-range';
import { parseUsageQuery } from '$lib/server/usage-query';

/** Text gathered before each write: fewer, larger chunks stream faster than one per row. */
const CHUNK_CHARS = 64 * 1024;

/** GET /api/usage/export?format=csv|json&from=&to=&tz=[&user=<id>|all] — one row per reply, streamed. */
export const GET: RequestHandler = async ({ locals, url }) => {
	const format = url.searchParams.get('format') ?? 'csv';
	if (format !== 'csv' && format !== 'json')
		return errorResponse(400, 'invalid_request', 'format: csv or json');
	const query = parseUsageQuery(url, locals.user!);
	if (!query.ok) return query.response;
	const { from, to, tz, userId } = query.value;
	const filter = {
		userId,
		from: startOfLocalDay(from, tz)!,
		to: startOfLocalDay(nextDay(to), tz)!
	};
	const lines = exportUsage(getRuntime().db, filter, format);
	const encoder = new TextEncoder();
	const body = new ReadableStream<Uint8Array>({
		async pull(controller) {
			let chunk = '';
			while (chunk.length < CHUNK_CHARS) {
				const next = await lines.next();
				if (next.done) {
					if (chunk) controller.enqueue(encoder.encode(chunk));
					controller.close();
					return;
				}
				chunk += next.value;
			}
			controller.enqueue(encoder.encode(chunk));
		},
		async cancel() {
			await lines.return(undefined);
		}
	});
	const name = `hearth-usage-${from}-to-${to}.${format}`;
	return new Response(body, {
		headers: {
			'content-type':
				format === 'csv'
					? 'text/csv; charset=utf-8; header=present'
					: 'application/json; charset=utf-8',
			'content-disposition': `attachment; filename="${name}"`,
			'cache-control': 'no-store'
		}
	});
};
