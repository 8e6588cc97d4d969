import type { RequestHandler } from './$types';
import { json } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { vapidKeys } from '$lib/server/services/push';

/** The VAPID public key a browser subscribes with (`applicationServerKey`). */
export const GET: RequestHandler = async () =>
	json({ publicKey: (await vapidKeys(getRuntime().db)).publicKey });
