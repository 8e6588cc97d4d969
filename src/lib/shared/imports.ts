// What the server says about an import, and what the Settings → Import section shows.
export const IMPORT_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type ImportStateDto = (typeof IMPORT_STATES)[number];

export const FINISHED_IMPORT_STATES: readonly ImportStateDto[] = ['done', 'failed', 'cancelled'];

export interface ImportProblemDto {
	sourceId: string | null;
	title: string | null;
	message: string;
}

export interface ImportDto {
	id: number;
	state: ImportStateDto;
	/** null until the file has been recognised. */
	format: string | null;
	fileName: string;
	/** Conversations imported so far. */
	done: number;
	/** Conversations already imported before (same source ids), left alone. */
	skipped: number;
	/** Conversations in the file; null until counted. */
	total: number | null;
	bytesRead: number;
	bytesTotal: number;
	createdAt: number;
	finishedAt: number | null;
	/** Present once finished. */
	problems?: ImportProblemDto[];
	/** Present once finished: the first conversations imported, to open them. */
	conversationIds?: number[];
}
