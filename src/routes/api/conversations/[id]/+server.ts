import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, json, readJson } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import {
	deleteConversation,
	getConversation,
	MAX_TITLE_CHARS,
	updateConversation
} from '$lib/server/services/conversations';
import { ConversationSettings, ModelRef } from '$lib/server/schemas';
import { MAX_SYSTEM_PROMPT_CHARS } from '$lib/shared/slash-commands';

const notFound = () => errorResponse(404, 'not_found', 'No such conversation');

const PatchBody = z
	.object({
		title: z.string().max(MAX_TITLE_CHARS).optional(),
		model: ModelRef.nullable().optional(),
		systemPrompt: z.string().max(MAX_SYSTEM_PROMPT_CHARS).nullable().optional(),
		settings: ConversationSettings.optional(),
		pinned: z.boolean().optional()
	})
	.strict();

/** GET — the conversation with its messages; `?before=<id>`: the page of messages before that id. */
export const GET: RequestHandler = async ({ params, locals, url }) => {
	const id = parseId(params.id);
	const rawBefore = url.searchParams.get('before');
	const before = rawBefore === null ? null : parseId(rawBefore);
	if (rawBefore !== null && before === null)
		return errorResponse(400, 'invalid_request', 'before: expected a message id');
	const conversation =
		id && (await getConversation(getRuntime().db, locals.user!.id, id, { before }));
	return conversation ? json(conversation) : notFound();
};

export const PATCH: RequestHandler = async ({ params, locals, request }) => {
	const id = parseId(params.id);
	if (!id) return notFound();
	const body = await readJson(request, PatchBody);
	if (!body.ok) return body.response;
	const conversation = await updateConversation(getRuntime().db, locals.user!.id, id, body.value);
	return conversation ? json(conversation) : notFound();
};

export const DELETE: RequestHandler = async ({ params, locals }) => {
	const id = parseId(params.id);
	const { db, runner } = getRuntime();
	if (!id) return notFound();
	const conversation = await getConversation(db, locals.user!.id, id);
	if (!conversation) return notFound();
	for (const m of conversation.messages) if (m.jobId) await runner.cancel(locals.user!.id, m.jobId);
	return (await deleteConversation(db, locals.user!.id, id))
		? new Response(null, { status: 204 })
		: notFound();
};
