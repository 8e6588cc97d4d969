// Downloads GGUF files from the hub into the models folder, one at a time, in the background.
// The bytes go to a hidden `.<file>.part` beside the target (llama-server's router ignores it;
// same file system, so the final rename is atomic), with progress in the database. A dropped
// connection, or a restart, resumes from the partial file with an HTTP Range request. Before the
// move: the size, the SHA-256 when the hub published it, and a readable GGUF header; a file that
// fails any check is deleted, so the folder only ever holds verified GGUF files.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Database } from '$lib/server/db/database';
import type { ModelDownloadRow } from '$lib/server/db/schema';
import * as repo from '$lib/server/repos/model-downloads';
import { resolveHubFile } from '$lib/server/local-models/hub';
import {
	Dropped,
	hashFile,
	receive,
	Refused,
	sizeOrZero,
	verifyPart
} from '$lib/server/local-models/transfer';
import { createGuardedFetch, type GuardedFetch } from '$lib/server/net/guarded-fetch';

/** Resumes after dropped connections before the download is given up. */
export const MAX_RESUME_ATTEMPTS = 5;
const RESUME_DELAY_MS = 1_000;
/** Room left free on the disk besides the file (the database and logs live there too). */
export const DISK_HEADROOM_BYTES = 100 * 1024 * 1024;
const MAX_MODEL_BYTES = 64 * 1024 ** 3;
const MAX_DOWNLOAD_MS = 12 * 60 * 60_000;
/** A running download not updated for this long belongs to a process that is gone. */
export const DOWNLOAD_STALE_MS = 10 * 60_000;

export type StatFs = (dir: string) => Promise<{ bavail: number; bsize: number }>;

export interface DownloadRunnerOptions {
	db: Database;
	log: Logger;
	modelsDir: string;
	hfEndpoint: string;
	/** SQLite: one instance, so a download left running was this process's; it resumes. */
	recoverAll: boolean;
	/** After a model was added: the router re-reads the folder. */
	onInstalled?: (file: string) => Promise<void>;
	statfs?: StatFs;
	fetch?: GuardedFetch;
	resumeDelayMs?: number;
}

export const partPath = (dir: string, file: string) => path.join(dir, `.${file}.part`);

export class DownloadRunner {
	private readonly fetch: GuardedFetch;
	private readonly statfs: StatFs;
	private readonly queue: number[] = [];
	private current: { id: number; controller: AbortController } | null = null;
	private pumping: Promise<void> | null = null;
	private stopped = false;

	constructor(private readonly options: DownloadRunnerOptions) {
		this.fetch =
			options.fetch ??
			createGuardedFetch({
				// The hub is trusted as configured (like LLAMA_URL), so a mirror on the LAN works.
				allowedInternalOrigins: new Set([new URL(options.hfEndpoint).origin]),
				maxResponseBytes: MAX_MODEL_BYTES,
				timeoutMs: MAX_DOWNLOAD_MS,
				httpsRedirectsOnly: true
			});
		this.statfs = options.statfs ?? ((dir) => fs.statfs(dir));
	}

	/**
	 * Picks up what a stopped process left: queued downloads, and running ones (they resume) —
	 * on PostgreSQL with several instances, only those no instance has touched for a while.
	 */
	async start() {
		const { db, recoverAll } = this.options;
		const staleBefore = Date.now() - DOWNLOAD_STALE_MS;
		for (const row of await repo.listDownloadsIn(db, ['queued', 'running'])) {
			if (row.state === 'running') {
				if (!recoverAll && row.updated_at > staleBefore) continue;
				await repo.updateDownloadIf(db, row.id, ['running'], { state: 'queued' });
			}
			this.submit(row.id);
		}
	}

	/** Waits for the current download to stop (it stays `running` and resumes at the next start). */
	async stop() {
		this.stopped = true;
		this.current?.controller.abort('stop');
		await this.pumping;
	}

	submit(id: number) {
		if (this.stopped || this.queue.includes(id) || this.current?.id === id) return;
		this.queue.push(id);
		this.pumping ??= this.pump().finally(() => (this.pumping = null));
	}

	/** Stops a download and removes its partial file; false when it had already finished. */
	async cancel(id: number): Promise<boolean> {
		const { db } = this.options;
		const row = await repo.findDownload(db, id);
		if (!row) return false;
		const ok = await repo.updateDownloadIf(db, id, ['queued', 'running'], {
			state: 'cancelled',
			updated_at: Date.now()
		});
		if (!ok) return false;
		if (this.current?.id === id) this.current.controller.abort('cancel');
		else await fs.rm(partPath(this.options.modelsDir, row.file), { force: true });
		return true;
	}

	/** Resolves when nothing is queued or running (tests). */
	async idle() {
		while (this.pumping) await this.pumping;
	}

	private async pump() {
		for (let id = this.queue.shift(); id !== undefined && !this.stopped; id = this.queue.shift()) {
			const { db, log } = this.options;
			const claimed = await repo.updateDownloadIf(db, id, ['queued'], {
				state: 'running',
				updated_at: Date.now()
			});
			const row = claimed ? await repo.findDownload(db, id) : undefined;
			if (!row) continue;
			const controller = new AbortController();
			this.current = { id, controller };
			try {
				await this.run(row, controller.signal);
			} catch (error) {
				log.error({ err: error, downloadId: id }, 'model download failed unexpectedly');
				await this.fail(row, 'The download failed unexpectedly');
			} finally {
				this.current = null;
			}
		}
	}

	private async fail(row: ModelDownloadRow, message: string) {
		await fs.rm(partPath(this.options.modelsDir, row.file), { force: true });
		await repo.updateDownloadIf(this.options.db, row.id, ['running'], {
			state: 'failed',
			error: message,
			updated_at: Date.now()
		});
	}

	private async run(row: ModelDownloadRow, signal: AbortSignal) {
		const { db, modelsDir } = this.options;
		const target = path.join(modelsDir, row.file);
		const part = partPath(modelsDir, row.file);
		for (let attempt = 0; ; attempt++) {
			try {
				if (await fs.stat(target).catch(() => null))
					throw new Refused(`${row.file} is already in the models folder`);
				const expected = await this.fetchPart(row, part, signal);
				await verifyPart(part, expected);
				await fs.rename(part, target);
				// The router re-reads the folder before the download shows as done, so a client that
				// sees "done" finds the model in the list.
				await this.options
					.onInstalled?.(row.file)
					.catch((error: unknown) =>
						this.options.log.warn({ err: error }, 'llama-server did not re-read the models folder')
					);
				await repo.updateDownloadIf(db, row.id, ['running'], {
					state: 'done',
					bytes: expected.size,
					total: expected.size,
					updated_at: Date.now()
				});
				return;
			} catch (error) {
				if (signal.aborted) {
					// A cancel removes the partial file; a stop keeps it for the resume at the next start.
					if (signal.reason === 'cancel') await fs.rm(part, { force: true });
					return;
				}
				if (error instanceof Refused) return this.fail(row, error.message);
				if (!(error instanceof Dropped) && !(error instanceof TypeError)) throw error;
				if (attempt + 1 >= MAX_RESUME_ATTEMPTS)
					return this.fail(row, `The connection to the hub kept breaking (${error.message})`);
				this.options.log.info({ downloadId: row.id, attempt }, 'model download resumes');
				await new Promise((r) => setTimeout(r, this.options.resumeDelayMs ?? RESUME_DELAY_MS));
			}
		}
	}

	/** Fetches what the partial file lacks; returns the complete file's expected size and hash. */
	private async fetchPart(row: ModelDownloadRow, part: string, signal: AbortSignal) {
		const { db, hfEndpoint, modelsDir } = this.options;
		const hub = await resolveHubFile(this.fetch, hfEndpoint, row.repo, row.file, signal).catch(
			(error: unknown) => {
				if (signal.aborted) throw error;
				throw new Dropped(`the hub did not answer: ${(error as Error).message}`);
			}
		);
		if (!hub.ok) throw new Refused(hub.message);
		let offset = await sizeOrZero(part);
		const hash = createHash('sha256');
		if (offset > 0 && hub.file.sha256) await hashFile(part, hash);
		const res = await this.fetch(hub.file.url, {
			headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
			signal
		}).catch((error: unknown) => {
			if (signal.aborted) throw error;
			throw new Dropped((error as Error).message);
		});
		if (res.status === 200 && offset > 0) {
			// The server ignored the Range: start again from the first byte.
			await fs.rm(part, { force: true });
			offset = 0;
		} else if (res.status !== 200 && res.status !== 206) {
			await res.body?.cancel();
			if (res.status === 416 && hub.file.size === offset)
				return {
					size: offset,
					sha256: hub.file.sha256,
					hash: (await hashFile(part)).digest('hex')
				};
			if (res.status === 416)
				throw new Refused(
					`The file server has fewer bytes (${offset}) than the ${hub.file.size} the hub announced`
				);
			throw new Refused(`The file server answered ${res.status}`);
		}
		const range = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
		const length = Number(res.headers.get('content-length') ?? NaN);
		const size =
			hub.file.size ??
			(range ? Number(range[1]) : Number.isFinite(length) ? offset + length : null);
		if (size === null) throw new Refused('The hub did not say how large the file is');
		const { bavail, bsize } = await this.statfs(modelsDir);
		const free = bavail * bsize;
		if (free < size - offset + DISK_HEADROOM_BYTES) {
			await res.body?.cancel();
			throw new Refused(
				`Not enough free disk space: the file needs ${size - offset} more bytes and ${DISK_HEADROOM_BYTES} to spare, ${free} are free`
			);
		}
		await repo.updateDownloadIf(db, row.id, ['running'], {
			total: size,
			bytes: offset,
			sha256: hub.file.sha256,
			updated_at: Date.now()
		});
		const freshHash = offset === 0 ? createHash('sha256') : hash;
		await receive(res, {
			part,
			offset,
			size,
			hash: freshHash,
			signal,
			onProgress: (bytes) =>
				repo.updateDownloadIf(db, row.id, ['running'], { bytes, updated_at: Date.now() })
		});
		return { size, sha256: hub.file.sha256, hash: freshHash.digest('hex') };
	}
}
