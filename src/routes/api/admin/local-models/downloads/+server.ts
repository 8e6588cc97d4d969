import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import {
	listModelDownloads,
	localModelDeps,
	startDownload
} from '$lib/server/services/local-models';

const Body = z.union([
	z.object({ preset: z.string().max(100) }).strict(),
	z.object({ repo: z.string().max(200), file: z.string().max(200) }).strict()
]);

export const GET: RequestHandler = async ({ locals }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	return json({ downloads: await listModelDownloads(getRuntime().db) });
};

/** Starts a download in the background: 202 with its id; progress at GET …/downloads/:id. */
export const POST: RequestHandler = async ({ locals, request }) => {
	if (locals.user!.role !== 'admin') return errorResponse(404, 'not_found', 'Not found');
	const body = await readJson(request, Body);
	if (!body.ok) return body.response;
	const result = await startDownload(localModelDeps(getRuntime()), locals.user!.id, body.value);
	return result.ok ? json({ download: result.download }, 202) : failureResponse(result);
};
