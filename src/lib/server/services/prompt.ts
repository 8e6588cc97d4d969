// What a reply is written from: the system prompts and the conversation's path to the user's
// message, read in one query and capped (jobs/history.ts). Attachments and fitting the model's
// context window extend this one place.
import type { Executor } from '$lib/server/db/database';
import type { Job } from '$lib/server/db/schema';
import { capHistory } from '$lib/server/jobs/history';
import type { ChatMessage } from '$lib/server/llm/types';
import { promptPath } from '$lib/server/repos/messages';
import { promptAttachments } from '$lib/server/services/attachments';
import { withAttachments } from '$lib/server/services/attachments-prompt';
import type { JobParams } from '$lib/server/services/chat';
import type { MessageStatusDto } from '$lib/shared/dto';

/** Replies that go back upstream as context: finished, or stopped with their text kept. */
const REPLY_STATUSES_IN_CONTEXT: readonly MessageStatusDto[] = ['done', 'cancelled', 'interrupted'];

export async function promptFor(
	db: Executor,
	job: Pick<Job, 'conversation_id' | 'user_message_id'>,
	params: Pick<JobParams, 'systemPrompt'>
): Promise<ChatMessage[]> {
	const { systemPrompt, path } = await promptPath(db, job.conversation_id, job.user_message_id);
	const system = [systemPrompt, params.systemPrompt].filter(Boolean).join('\n\n');
	const attached = await promptAttachments(
		db,
		path.filter((m) => m.role === 'user').map((m) => m.id)
	);
	return capHistory([
		...(system ? [{ role: 'system' as const, content: system }] : []),
		...path
			.filter(
				(m) => m.content && (m.role === 'user' || REPLY_STATUSES_IN_CONTEXT.includes(m.status))
			)
			.map((m) => ({ role: m.role, ...withAttachments(m.content, attached.get(m.id) ?? []) }))
	]);
}
