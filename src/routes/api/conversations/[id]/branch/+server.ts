import { z } from 'zod';
import type { RequestHandler } from './$types';
import { errorResponse, failureResponse, json, readJson } from '$lib/server/http';
import { parseId } from '$lib/server/ids';
import { getRuntime } from '$lib/server/runtime';
import { RowId } from '$lib/server/schemas';
import { branchConversation } from '$lib/server/services/branching';

const BranchBody = z.object({ messageId: RowId }).strict();

/** POST — a new conversation with the history up to `messageId`, linked to this one. */
export const POST: RequestHandler = async ({ params, locals, request }) => {
	const id = parseId(params.id);
	if (!id) return errorResponse(404, 'not_found', 'No such conversation');
	const body = await readJson(request, BranchBody);
	if (!body.ok) return body.response;
	const result = await branchConversation(
		getRuntime().db,
		locals.user!.id,
		id,
		body.value.messageId
	);
	if (!result.ok) return failureResponse(result);
	return json(result.conversation, 201);
};
