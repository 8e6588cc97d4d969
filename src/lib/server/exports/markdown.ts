// A conversation as a Markdown document: the title, its dates and model, then one section per
// turn of the branch shown, headed by who spoke. Message text is Markdown already and kept as is.
import { modelRef } from '$lib/server/services/dto';
import type { Conversation, Message } from '$lib/server/db/schema';

const ROLE_HEADINGS: Record<Message['role'], string> = {
	system: 'System',
	user: 'User',
	assistant: 'Assistant'
};

/** "2026-11-29 10:04 UTC": unambiguous wherever the file is read. */
export function formatDate(ms: number): string {
	return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A single line of plain text, safe as a heading. */
export function titleOf(conversation: Pick<Conversation, 'title'>): string {
	return conversation.title.replace(/\s+/g, ' ').trim() || 'Untitled';
}

export function turnHeading(m: Message): string {
	const model = m.role === 'assistant' ? modelRef(m.provider, m.model) : null;
	return model ? `${ROLE_HEADINGS[m.role]} · ${model}` : ROLE_HEADINGS[m.role];
}

export function conversationMarkdown(conversation: Conversation, branch: Message[]): string {
	const lines = [
		`# ${titleOf(conversation)}`,
		'',
		`- Created: ${formatDate(conversation.created_at)}`,
		`- Updated: ${formatDate(conversation.updated_at)}`
	];
	if (conversation.model) lines.push(`- Model: ${conversation.model}`);
	lines.push('');
	if (conversation.system_prompt)
		lines.push('## System prompt', '', conversation.system_prompt, '');
	for (const m of branch) {
		lines.push(`## ${turnHeading(m)}`, '', `*${formatDate(m.created_at)}*`, '');
		if (m.reasoning) lines.push(...m.reasoning.split('\n').map((l) => `> ${l}`), '');
		lines.push(m.content || '*(empty)*', '');
		if (m.status !== 'done') lines.push(`*(${m.status})*`, '');
	}
	return lines.join('\n');
}
