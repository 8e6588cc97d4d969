// Admin → Local models and the first-run card: the router's models, downloads polled while they
// run (so a reload or another device picks them up), with speed and time left measured here from
// successive progress reports.
import { api, ApiError } from '$lib/client/api';
import {
	ACTIVE_DOWNLOAD_STATES,
	type LocalModelsDto,
	type ModelDownloadDto
} from '$lib/shared/local-models';

/** How often running downloads are asked for their progress. */
export const DOWNLOAD_POLL_MS = 1000;
/** Speed is averaged over this window of progress reports. */
const SPEED_WINDOW_MS = 10_000;

const BASE = '/api/admin/local-models';

export const isActive = (d: ModelDownloadDto) => ACTIVE_DOWNLOAD_STATES.includes(d.state);

export interface DownloadRate {
	bytesPerSecond: number;
	secondsLeft: number | null;
}

class LocalModelsStore {
	data = $state<LocalModelsDto | null>(null);
	error = $state<string | null>(null);
	busy = $state(false);
	/** Per download: recent (time, bytes) samples, for speed and time left. */
	private samples = new Map<number, { at: number; bytes: number }[]>();
	rates = $state<Record<number, DownloadRate>>({});
	private timer: ReturnType<typeof setTimeout> | null = null;

	get activeDownload(): ModelDownloadDto | null {
		return this.data?.downloads.find(isActive) ?? null;
	}

	async load() {
		try {
			this.data = await api<LocalModelsDto>('GET', BASE);
			this.error = null;
			this.measure();
			this.schedule();
		} catch (error) {
			this.fail(error);
		}
	}

	/** Runs an action, then re-reads the list; false (with the error shown) when refused. */
	private async act(run: () => Promise<unknown>): Promise<boolean> {
		this.busy = true;
		this.error = null;
		try {
			await run();
			await this.load();
			return true;
		} catch (error) {
			this.fail(error);
			return false;
		} finally {
			this.busy = false;
		}
	}

	download(request: { preset: string } | { repo: string; file: string }) {
		return this.act(() => api('POST', `${BASE}/downloads`, request));
	}

	cancel(id: number) {
		return this.act(() => api('POST', `${BASE}/downloads/${id}/cancel`));
	}

	setState(name: string, action: 'load' | 'unload') {
		return this.act(() => api('POST', `${BASE}/${encodeURIComponent(name)}/${action}`));
	}

	remove(name: string) {
		return this.act(() => api('DELETE', `${BASE}/${encodeURIComponent(name)}`));
	}

	setDefault(model: string) {
		return this.act(() => api('PUT', `${BASE}/default`, { model }));
	}

	stop() {
		if (this.timer) clearTimeout(this.timer);
		this.timer = null;
	}

	private fail(error: unknown) {
		if (error instanceof ApiError && error.status === 0 && this.data) return;
		this.error = error instanceof Error ? error.message : String(error);
	}

	private measure() {
		const now = Date.now();
		const rates: Record<number, DownloadRate> = {};
		for (const d of this.data?.downloads.filter(isActive) ?? []) {
			const list = (this.samples.get(d.id) ?? []).filter((s) => now - s.at <= SPEED_WINDOW_MS);
			list.push({ at: now, bytes: d.bytes });
			this.samples.set(d.id, list);
			const first = list[0]!;
			const seconds = (now - first.at) / 1000;
			const bytesPerSecond = seconds > 0 ? Math.max(0, (d.bytes - first.bytes) / seconds) : 0;
			const left = d.total !== null ? d.total - d.bytes : null;
			rates[d.id] = {
				bytesPerSecond,
				secondsLeft: left !== null && bytesPerSecond > 0 ? left / bytesPerSecond : null
			};
		}
		this.rates = rates;
	}

	private schedule() {
		this.stop();
		if (!this.data?.downloads.some(isActive)) return;
		this.timer = setTimeout(() => void this.load(), DOWNLOAD_POLL_MS);
	}
}

export const localModelsStore = new LocalModelsStore();
