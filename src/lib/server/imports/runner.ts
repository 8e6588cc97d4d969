// Runs imports in this process, one at a time (a Pi has little to spare): first a survey pass
// that checks the whole file and counts its conversations (nothing is stored from a file that is
// not valid JSON of a known shape), then the import pass, one transaction per conversation, with
// progress written as it goes. Cancelling stops between conversations. An import left running by
// a stopped process is marked failed at start (importing the file again resumes it: what was
// stored is skipped by source id).
import fs from 'node:fs';
import { addAbortSignal, Transform, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Database } from '$lib/server/db/database';
import type { ImportState } from '$lib/server/db/schema';
import * as repo from '$lib/server/repos/imports';
import { openImportSource, type ImportSource } from '$lib/server/imports/source';
import { readDocumentItems, surveyDocument, UnknownFormatError } from '$lib/server/imports/formats';
import { storeImportedConversation } from '$lib/server/imports/store';
import { importLibrary } from '$lib/server/services/prompts';
import { importSpoolDir, removeSpooled, type SpooledFile } from '$lib/server/imports/spool';
import type { ImportFormat, ImportProblem } from '$lib/server/imports/types';

/** Progress is written at most this often (and at the end). */
export const IMPORT_PROGRESS_INTERVAL_MS = 500;
/** An import not updated for this long belongs to a process that is gone (PostgreSQL, many instances). */
export const IMPORT_STALE_MS = 10 * 60_000;
export const MAX_LISTED_PROBLEMS = 1_000;
/** How many imported conversations an import remembers, to link to them. */
export const MAX_LISTED_CONVERSATIONS = 20;

export const RESTART_PROBLEM =
	'The server stopped during this import. Import the same file again to finish: conversations already imported are skipped.';

export interface ImportTask {
	importId: number;
	userId: number;
	files: SpooledFile[];
}

export interface ImportRunnerOptions {
	db: Database;
	dataDir: string;
	log: Logger;
	/** SQLite: one instance, so every unfinished import was this process's. */
	recoverAll: boolean;
	/** ZIP bomb bound (tests lower it). */
	maxUncompressedBytes?: number;
}

class Progress {
	done = 0;
	skipped = 0;
	bytesRead = 0;
	problems: ImportProblem[] = [];
	conversationIds: number[] = [];
	private lastWrite = 0;

	problem(problem: ImportProblem) {
		if (this.problems.length < MAX_LISTED_PROBLEMS) this.problems.push(problem);
		else if (this.problems.length === MAX_LISTED_PROBLEMS)
			this.problems.push({ sourceId: null, title: null, message: 'More problems were not listed' });
	}

	due(): boolean {
		const now = Date.now();
		if (now - this.lastWrite < IMPORT_PROGRESS_INTERVAL_MS) return false;
		this.lastWrite = now;
		return true;
	}

	counts() {
		return {
			done: this.done,
			skipped: this.skipped,
			bytes_read: this.bytesRead,
			updated_at: Date.now()
		};
	}

	final() {
		return {
			...this.counts(),
			problems: JSON.stringify(this.problems),
			conversation_ids: JSON.stringify(this.conversationIds),
			finished_at: Date.now()
		};
	}
}

/** The file (or ZIP entry) could not be read, as opposed to holding bad JSON. */
class SourceReadError extends Error {}

function counted(stream: Readable, signal: AbortSignal, onBytes: (n: number) => void): Readable {
	const counter = new Transform({
		transform(chunk: Buffer, _encoding, done) {
			onBytes(chunk.length);
			done(null, chunk);
		}
	});
	stream.on('error', (error) => counter.destroy(new SourceReadError(error.message)));
	return addAbortSignal(signal, stream.pipe(counter));
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class ImportRunner {
	private readonly queue: ImportTask[] = [];
	private readonly controllers = new Map<number, AbortController>();
	private active: Promise<void> | null = null;
	private stopping = false;

	constructor(private readonly options: ImportRunnerOptions) {}

	/** Ends what a stopped process left behind: its rows marked failed, its spooled files removed. */
	async start(): Promise<void> {
		const now = Date.now();
		const before = this.options.recoverAll ? now + 1 : now - IMPORT_STALE_MS;
		const problems = JSON.stringify([{ sourceId: null, title: null, message: RESTART_PROBLEM }]);
		const failed = await repo.failStaleImports(this.options.db, before, problems, now);
		if (failed.length > 0)
			this.options.log.warn({ imports: failed.length }, 'unfinished imports marked failed');
		fs.rmSync(importSpoolDir(this.options.dataDir), { recursive: true, force: true });
	}

	enqueue(task: ImportTask): void {
		if (this.stopping) {
			removeSpooled(task.files);
			return;
		}
		this.controllers.set(task.importId, new AbortController());
		this.queue.push(task);
		this.active ??= this.drain();
	}

	/** Stops the import (queued or running) in this process; the row was already marked. */
	cancel(importId: number): void {
		this.controllers.get(importId)?.abort(new Error('cancelled'));
	}

	/** Resolves when nothing is queued or running. */
	async idle(): Promise<void> {
		while (this.active) await this.active;
	}

	async stop(): Promise<void> {
		this.stopping = true;
		for (const c of this.controllers.values()) c.abort(new Error('stopping'));
		await this.idle();
	}

	private async drain(): Promise<void> {
		try {
			for (let task = this.queue.shift(); task; task = this.queue.shift()) {
				try {
					await this.run(task);
				} catch (error) {
					this.options.log.error({ err: error, importId: task.importId }, 'import failed');
				} finally {
					this.controllers.delete(task.importId);
					removeSpooled(task.files);
				}
			}
		} finally {
			this.active = null;
		}
	}

	private async run(task: ImportTask): Promise<void> {
		const { db } = this.options;
		const signal = this.controllers.get(task.importId)!.signal;
		const id = task.importId;
		if (
			signal.aborted ||
			!(await repo.updateImportIf(db, id, ['queued'], { state: 'running', updated_at: Date.now() }))
		)
			return;
		const progress = new Progress();
		const sources: { file: SpooledFile; source: ImportSource }[] = [];
		/** The last write, made once the files are gone (so a finished import left nothing behind). */
		let outcome: { from: ImportState; state?: ImportState } | null = null;
		const fail = (message: string) => {
			progress.problem({ sourceId: null, title: null, message });
			outcome = { from: 'running', state: 'failed' };
		};
		try {
			for (const file of task.files) {
				const opened = await openImportSource(
					file.path,
					file.name,
					this.options.maxUncompressedBytes
				);
				if (!opened.ok)
					return fail(task.files.length > 1 ? `${file.name}: ${opened.message}` : opened.message);
				sources.push({ file, source: opened.source });
			}
			const bytesTotal = sources.reduce((sum, s) => sum + s.source.totalBytes, 0);
			let format: ImportFormat | null = null;
			let total = 0;
			for (const { file, source } of sources) {
				for (let i = 0; i < source.documents.length; i++) {
					const where =
						source.kind === 'zip' ? `${file.name} › ${source.documents[i]!.name}` : file.name;
					try {
						const survey = await surveyDocument(counted(await source.open(i), signal, () => {}));
						if (format !== null && survey.format !== null && survey.format !== format)
							return fail(
								`${where} is a ${survey.format} export, the rest ${format}: import them separately`
							);
						format ??= survey.format;
						total += survey.count;
					} catch (error) {
						if (signal.aborted) throw error;
						if (error instanceof UnknownFormatError) return fail(`${where}: ${error.message}`);
						if (error instanceof SourceReadError)
							return fail(`${where} cannot be unpacked (${error.message}); nothing was imported`);
						return fail(`${where} is not valid JSON (${describe(error)}); nothing was imported`);
					}
				}
			}
			await repo.updateImportIf(db, id, ['running'], {
				format,
				total,
				bytes_total: bytesTotal,
				updated_at: Date.now()
			});
			for (const { source } of sources) {
				for (let i = 0; i < source.documents.length; i++) {
					const input = counted(await source.open(i), signal, (n) => (progress.bytesRead += n));
					let docFormat: ImportFormat = format ?? 'chatgpt';
					for await (const item of readDocumentItems(input, (f) => (docFormat = f))) {
						if (signal.aborted) throw signal.reason;
						if (item.type === 'problem') {
							progress.problem(item.problem);
							continue;
						}
						if (item.type === 'library') {
							const added = await importLibrary(db, task.userId, item.library);
							for (const refused of added.refused)
								progress.problem({ sourceId: null, title: refused.name, message: refused.message });
							continue;
						}
						const { conversation } = item;
						try {
							const stored = await storeImportedConversation(
								db,
								task.userId,
								docFormat,
								conversation
							);
							if (stored.ok) {
								progress.done++;
								if (progress.conversationIds.length < MAX_LISTED_CONVERSATIONS)
									progress.conversationIds.push(stored.conversationId);
							} else if (stored.reason === 'skipped') progress.skipped++;
							else
								progress.problem({
									sourceId: conversation.sourceId,
									title: conversation.title,
									message: stored.message
								});
						} catch (error) {
							this.options.log.warn(
								{ err: error, importId: id },
								'imported conversation not stored'
							);
							progress.problem({
								sourceId: conversation.sourceId,
								title: conversation.title,
								message: 'It could not be stored'
							});
						}
						if (
							progress.due() &&
							!(await repo.updateImportIf(db, id, ['running'], progress.counts()))
						)
							throw new Error('cancelled');
					}
				}
			}
			outcome = { from: 'running', state: 'done' };
		} catch (error) {
			if (this.stopping) {
				fail(RESTART_PROBLEM);
			} else if (signal.aborted || describe(error) === 'cancelled') {
				// Marked cancelled by the service (maybe in another instance): record how far it got.
				outcome = { from: 'cancelled' };
			} else {
				this.options.log.warn({ err: error, importId: id }, 'import stopped by an error');
				fail(`The import stopped: ${describe(error)}`);
			}
		} finally {
			for (const { source } of sources) source.close();
			removeSpooled(task.files);
			const last = outcome as { from: ImportState; state?: ImportState } | null;
			if (last)
				await repo.updateImportIf(db, id, [last.from], {
					...(last.state ? { state: last.state } : {}),
					...progress.final()
				});
		}
	}
}
