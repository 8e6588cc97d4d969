// The API's answer to a failed two-factor code check, shared by the routes that take a code.
import { errorResponse } from '$lib/server/http';

export function codeFailure(result: {
	code: string;
	message: string;
	retryAfterSeconds?: number;
}): Response {
	if (result.code === 'throttled') {
		return errorResponse(429, result.code, result.message, {
			'retry-after': String(result.retryAfterSeconds ?? 1)
		});
	}
	const status = result.code === 'wrong_code' ? 400 : 409;
	return errorResponse(status, result.code, result.message);
}
