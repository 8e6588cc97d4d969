// The user's imports: the upload (with its own progress, it can take a while on a phone), then the
// server-side job polled until it ends. Reloading the page picks the running import up again.
import { api, ApiError } from '$lib/client/api';
import { FINISHED_IMPORT_STATES, type ImportDto } from '$lib/shared/imports';

/** How often a running import is asked for its progress. */
export const IMPORT_POLL_MS = 1000;

export interface UploadProgress {
	sent: number;
	total: number;
}

function upload(files: File[], onProgress: (p: UploadProgress) => void): Promise<ImportDto> {
	const form = new FormData();
	for (const file of files) form.append('file', file, file.name);
	return new Promise((resolve, reject) => {
		// fetch cannot report upload progress; XMLHttpRequest can.
		const xhr = new XMLHttpRequest();
		xhr.open('POST', '/api/imports');
		xhr.responseType = 'json';
		xhr.upload.onprogress = (e) => onProgress({ sent: e.loaded, total: e.total });
		xhr.onerror = () =>
			reject(new ApiError(0, 'offline', 'Cannot reach Hearth — check your connection'));
		xhr.onload = () => {
			const body = xhr.response as {
				import?: ImportDto;
				error?: { code: string; message: string };
			} | null;
			if (xhr.status === 202 && body?.import) resolve(body.import);
			else
				reject(
					new ApiError(
						xhr.status,
						body?.error?.code ?? 'error',
						body?.error?.message ?? `Upload failed (${xhr.status})`
					)
				);
		};
		xhr.send(form);
	});
}

export const isFinished = (i: ImportDto) => FINISHED_IMPORT_STATES.includes(i.state);

class ImportsStore {
	imports = $state<ImportDto[]>([]);
	uploading = $state<UploadProgress | null>(null);
	error = $state<string | null>(null);
	private timer: ReturnType<typeof setTimeout> | null = null;

	get latest(): ImportDto | null {
		return this.imports[0] ?? null;
	}

	async load() {
		try {
			this.imports = (await api<{ imports: ImportDto[] }>('GET', '/api/imports')).imports;
			this.schedule();
		} catch (error) {
			this.error = error instanceof Error ? error.message : 'Could not load imports';
		}
	}

	async start(files: File[]) {
		this.error = null;
		this.uploading = { sent: 0, total: files.reduce((n, f) => n + f.size, 0) };
		try {
			const started = await upload(files, (p) => (this.uploading = p));
			this.imports = [started, ...this.imports.filter((i) => i.id !== started.id)];
			this.schedule();
		} catch (error) {
			this.error = error instanceof Error ? error.message : 'Upload failed';
		} finally {
			this.uploading = null;
		}
	}

	async cancel(id: number) {
		try {
			this.replace((await api<{ import: ImportDto }>('POST', `/api/imports/${id}/cancel`)).import);
		} catch (error) {
			this.error = error instanceof Error ? error.message : 'Could not cancel';
		}
	}

	stop() {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}

	private replace(next: ImportDto) {
		this.imports = this.imports.map((i) => (i.id === next.id ? next : i));
	}

	private schedule() {
		this.stop();
		if (!this.imports.some((i) => !isFinished(i))) return;
		this.timer = setTimeout(() => void this.poll(), IMPORT_POLL_MS);
	}

	private async poll() {
		for (const i of this.imports.filter((x) => !isFinished(x))) {
			try {
				this.replace((await api<{ import: ImportDto }>('GET', `/api/imports/${i.id}`)).import);
			} catch (error) {
				if (!(error instanceof ApiError) || error.status !== 0)
					this.error = error instanceof Error ? error.message : String(error);
			}
		}
		this.schedule();
	}
}

export const importsStore = new ImportsStore();
