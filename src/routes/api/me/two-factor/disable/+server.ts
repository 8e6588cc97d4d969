import { z } from 'zod';
import type { RequestHandler } from './$types';
import { json, readJson } from '$lib/server/http';
import { getRuntime } from '$lib/server/runtime';
import { disableTwoFactor } from '$lib/server/services/two-factor';
import { codeFailure } from '$lib/server/two-factor-http';

const CodeBody = z.object({ code: z.string().min(1, 'is required').max(64) }).strict();

export const POST: RequestHandler = async ({ locals, request }) => {
	const body = await readJson(request, CodeBody);
	if (!body.ok) return body.response;
	const result = await disableTwoFactor(
		getRuntime(),
		locals.user!,
		body.value.code,
		locals.clientIp
	);
	if (!result.ok) return codeFailure(result);
	return json({ ok: true });
};
