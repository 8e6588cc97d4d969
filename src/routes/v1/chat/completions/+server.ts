import type { RequestHandler } from './$types';
import { getRuntime } from '$lib/server/runtime';
import {
	completionSse,
	foldCompletion,
	readV1Json,
	v1ErrorResponse
} from '$lib/server/openai-http';
import { openChatCompletion } from '$lib/server/services/v1-chat';

/** Runs while the client listens: its going away aborts the upstream request. */
export const POST: RequestHandler = async ({ request, locals }) => {
	const body = await readV1Json(request);
	if (!body.ok) return body.response;
	const controller = new AbortController();
	const abort = () => controller.abort();
	request.signal.addEventListener('abort', abort, { once: true });
	const { db, providers } = getRuntime();
	const completion = await openChatCompletion(
		{ db, providers },
		{ user: locals.user!, key: locals.apiKey! },
		body.value,
		controller.signal
	);
	if (!completion.ok) return v1ErrorResponse(completion.error);
	const events = completion.events;
	const first = await events.next();
	if (!first.done && first.value.type === 'error') {
		await events.return(undefined);
		return v1ErrorResponse(first.value.error);
	}
	const head = first.done ? null : first.value;
	if (completion.stream) return completionSse(completion, head, events, abort);
	try {
		return await foldCompletion(completion, head, events);
	} finally {
		await events.return(undefined);
	}
};
