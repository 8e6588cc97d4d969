// Chat helpers over the JSON API for integration tests: create, send, read, wait for a reply.
import { expect } from 'vitest';
import type { ApiClient } from './hearth-server';
import type { ConversationDto, MessageDto, SendResultDto } from '$lib/shared/dto';

export const TERMINAL = ['done', 'failed', 'cancelled', 'interrupted'];

export async function newConversation(client: ApiClient): Promise<number> {
	const res = await client.json<{ id: number }>('POST', '/api/conversations', {});
	expect(res.status).toBe(201);
	return res.body.id;
}

export async function send(
	client: ApiClient,
	conversationId: number,
	maxTokens: number,
	extra: Record<string, unknown> = {}
) {
	const res = await client.json<SendResultDto>(
		'POST',
		`/api/conversations/${conversationId}/messages`,
		{ content: 'Tell me about the hearth.', maxTokens, ...extra }
	);
	expect(res.status, JSON.stringify(res.body)).toBe(202);
	return res.body;
}

export async function conversation(client: ApiClient, id: number) {
	return (await client.json<ConversationDto>('GET', `/api/conversations/${id}`)).body;
}

export async function settledReply(
	client: ApiClient,
	conversationId: number,
	replyId: number,
	timeout = 30_000
): Promise<MessageDto> {
	let reply: MessageDto | undefined;
	await expect
		.poll(
			async () => {
				reply = (await conversation(client, conversationId)).messages.find((m) => m.id === replyId);
				return TERMINAL.includes(reply?.status ?? '');
			},
			{ timeout, interval: 100 }
		)
		.toBe(true);
	return reply!;
}
