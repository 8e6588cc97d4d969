// One row per fault the suite drives, collected across files and printed as one table at the end
// (faults/setup.ts). A case records its row and then asserts it: a row that lost or duplicated
// anything fails the run.
import fs from 'node:fs';
import { inject } from 'vitest';

export interface FaultRow {
	/** What was done to Hearth, e.g. "llama-server SIGSTOP mid-stream (20 replies)". */
	fault: string;
	/** What users saw, in a few words, e.g. "replies ended 'interrupted' with their text kept". */
	usersSaw: string;
	/** User messages sent (accepted with 2xx) that are not in the database afterwards. */
	lost: number;
	/** Replies present twice (two assistant messages for one user message and no regenerate). */
	duplicated: number;
	/** Answers that should not happen: 5xx, resets, malformed streams, gaps or repeats in text. */
	errors: number;
	/** Resident memory of the Hearth server before and after the fault, in MB (null: not measured). */
	rssBeforeMb: number | null;
	rssAfterMb: number | null;
	/** Anything else worth a figure: p95 of API calls, WAL size, open file descriptors. */
	notes?: string;
}

declare module 'vitest' {
	export interface ProvidedContext {
		faultsTable: string;
	}
}

export function record(row: FaultRow): FaultRow {
	fs.appendFileSync(inject('faultsTable'), JSON.stringify(row) + '\n');
	return row;
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number | null {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
		return Number.isFinite(kb) ? Math.round((kb / 1024) * 10) / 10 : null;
	} catch {
		return null;
	}
}

/** Open file descriptors of a process (Linux), or null. */
export function openFds(pid: number): number | null {
	try {
		return fs.readdirSync(`/proc/${pid}/fd`).length;
	} catch {
		return null;
	}
}
