// What every importer produces, whatever app the history comes from: conversations as trees of
// messages keyed by the source's own ids, so the import service can store them as Hearth branches
// and remember the source ids (importing the same export twice adds nothing).
import type { ReasoningDto } from '$lib/shared/dto';

export const IMPORT_FORMATS = [
	'chatgpt',
	'claude',
	'openwebui',
	'librechat',
	'llamacpp',
	'hearth'
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportedMessage {
	/** The source's id for this message, unique within its conversation. */
	sourceId: string;
	/** null: a root of the tree. Must name a message of the same conversation, or be null. */
	parentSourceId: string | null;
	role: 'system' | 'user' | 'assistant';
	content: string;
	reasoning?: string | null;
	/** "provider/model" or the source's model name, when known. */
	model: string | null;
	/** Milliseconds since the epoch, when known. */
	createdAt: number | null;
	status?: 'done' | 'failed' | 'cancelled' | 'interrupted';
	usage?: { promptTokens: number | null; completionTokens: number | null } | null;
}

export interface ImportedConversation {
	/** The source's id for the conversation, unique per format; remembered per user. */
	sourceId: string;
	/** null: Hearth derives one from the first user message. */
	title: string | null;
	createdAt: number | null;
	updatedAt: number | null;
	model: string | null;
	systemPrompt: string | null;
	settings?: { temperature?: number; reasoning?: ReasoningDto } | null;
	pinned?: boolean;
	/** The message whose path is the branch shown when the conversation opens. */
	currentSourceId: string | null;
	/** In any order; parents need not come before children. */
	messages: ImportedMessage[];
}

/** A conversation that could not be read: listed at the end of the import, the rest goes on. */
export interface ImportProblem {
	sourceId: string | null;
	title: string | null;
	message: string;
}

/** Prompts and presets from a Hearth archive, each already checked for shape. */
export interface ImportedLibrary {
	prompts: { command: string; title: string; text: string }[];
	presets: {
		name: string;
		model: string | null;
		temperature: number | null;
		reasoning: 'off' | 'low' | 'medium' | 'high' | null;
		systemPrompt: string | null;
	}[];
}

export type ImportItem =
	| { type: 'conversation'; conversation: ImportedConversation }
	| { type: 'library'; library: ImportedLibrary }
	| { type: 'problem'; problem: ImportProblem };
