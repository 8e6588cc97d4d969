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
	if (m.prompt_tokens !== null || m.completion_tokens !== null) {
		dto.usage = { promptTokens: m.prompt_tokens ?? 0, completionTokens: m.completion_tokens ?? 0 };
		const perSecond = readTimings(m.timings)?.predictedPerSecond;
		if (perSecond) dto.usage.tokensPerSecond = Math.round(perSecond * 10) / 10;
	}
	return dto;
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
