import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { PUSH_LIMITS, pushStatus, subscribePush, unsubscribePush } from '$lib/server/services/push';
import type { PushStatusDto } from '$lib/shared/dto';

/** A PushSubscription's JSON is well under 1 KB; anything near this is not one. */
const SUBSCRIPTION_BODY_LIMIT_BYTES = 4096;
const KEY_MAX_CHARS = 128;

const SubscriptionBody = z.object({
	endpoint: z.string().min(1).max(PUSH_LIMITS.endpointMaxChars),
	expirationTime: z.number().nullable().optional(),
	keys: z.object({
		p256dh: z.string().min(1).max(KEY_MAX_CHARS),
		auth: z.string().min(1).max(KEY_MAX_CHARS)
	})
});

const noSession = () =>
	errorResponse(400, 'no_session', 'Only a signed-in browser can receive notifications');

/** Whether this browser gets notifications. */
export const GET: RequestHandler = async ({ locals }) => {
	if (!locals.session) return noSession();
	return json((await pushStatus(getRuntime().db, locals.session.id)) satisfies PushStatusDto);
};

/** Subscribes this browser (its session): replaces the subscription it had. */
export const POST: RequestHandler = async ({ locals, request }) => {
	if (!locals.session) return noSession();
	const body = await readJson(request, SubscriptionBody, SUBSCRIPTION_BODY_LIMIT_BYTES);
	if (!body.ok) return body.response;
	const { db, config } = getRuntime();
	const result = await subscribePush(
		db,
		{ userId: locals.user!.id, sessionId: locals.session.id },
		body.value,
		{ allowLoopbackHttp: config.testPushLoopback }
	);
	if (!result.ok) return failureResponse(result);
	return json({ subscribed: true }, 201);
};

/** Stops notifications to this browser. */
export const DELETE: RequestHandler = async ({ locals }) => {
	if (!locals.session) return noSession();
	await unsubscribePush(getRuntime().db, locals.session.id);
	return new Response(null, { status: 204 });
};
