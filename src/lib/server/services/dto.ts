// Row → DTO mapping for conversations, messages and jobs (the API's camelCase shapes).
import type { Conversation, Job, Message } from '$lib/server/db/schema';
import type { ConversationSettingsDto, JobDto, MessageDto } from '$lib/shared/dto';

export function modelRef(provider: string | null, model: string | null): string | null {
	return provider && model ? `${provider}/${model}` : null;
}

export function toMessageDto(m: Message, jobId?: number): MessageDto {
	const dto: MessageDto = {
		id: m.id,
		parentId: m.parent_id,
		role: m.role,
		content: m.content,
		status: m.status,
		model: modelRef(m.provider, m.model),
		createdAt: m.created_at
	};
	if (m.reasoning) dto.reasoning = m.reasoning;
	if (m.error) dto.error = m.error;
	if (jobId !== undefined) dto.jobId = jobId;
	if (isContinuable(m)) dto.continuable = true;
	if (m.context_window !== null && m.context_tokens !== null)
		dto.context = {
			used: m.context_tokens,
			window: m.context_window,
			omitted: parseIds(m.context_omitted)
		};
	if (m.prompt_tokens !== null || m.completion_tokens !== null) {
		dto.usage = { promptTokens: m.prompt_tokens ?? 0, completionTokens: m.completion_tokens ?? 0 };
		const perSecond = readTimings(m.timings)?.predictedPerSecond;
		if (perSecond) dto.usage.tokensPerSecond = Math.round(perSecond * 10) / 10;
	}
	return dto;
}

/**
 * Whether Continue can extend this reply: it has text and was stopped, interrupted, or cut by
 * the token limit (finish reason "length").
 */
export function isContinuable(
	m: Pick<Message, 'role' | 'content' | 'status' | 'finish_reason'>
): boolean {
	if (m.role !== 'assistant' || !m.content) return false;
	return (
		m.status === 'cancelled' ||
		m.status === 'interrupted' ||
		(m.status === 'done' && m.finish_reason === 'length')
	);
}

function parseIds(json: string | null): number[] {
	if (!json) return [];
	try {
		const value: unknown = JSON.parse(json);
		return Array.isArray(value) ? value.filter((id): id is number => Number.isInteger(id)) : [];
	} catch {
		return [];
	}
}

function readTimings(json: string | null): { predictedPerSecond?: number } | null {
	if (!json) return null;
	try {
		return JSON.parse(json) as { predictedPerSecond?: number };
	} catch {
		return null;
	}
}

export function parseSettings(json: string): ConversationSettingsDto {
	try {
		const value = JSON.parse(json) as ConversationSettingsDto;
		return typeof value === 'object' && value !== null ? value : {};
	} catch {
		return {};
	}
}

export function toJobDto(j: Job): JobDto {
	const dto: JobDto = {
		id: j.id,
		conversationId: j.conversation_id,
		userMessageId: j.user_message_id,
		assistantMessageId: j.assistant_message_id,
		state: j.state,
		model: `${j.provider}/${j.model}`,
		createdAt: j.created_at
	};
	if (j.error_code) dto.error = { code: j.error_code, message: j.error_message ?? 'Failed' };
	return dto;
}

export function toSummary(c: Pick<Conversation, 'id' | 'title' | 'updated_at' | 'pinned_at'>) {
	return { id: c.id, title: c.title, updatedAt: c.updated_at, pinned: c.pinned_at !== null };
}
