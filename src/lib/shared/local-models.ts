// Local models (llama.cpp's router over LLAMA_MODELS_DIR): what Admin → Local models and the
// first-run card show, the curated downloads that suit a Raspberry Pi 5, and the one rule for
// names that may reach the file system.

export const MODEL_DOWNLOAD_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type ModelDownloadStateDto = (typeof MODEL_DOWNLOAD_STATES)[number];
export const ACTIVE_DOWNLOAD_STATES: readonly ModelDownloadStateDto[] = ['queued', 'running'];

export type LocalModelStateDto = 'loaded' | 'loading' | 'unloaded' | 'failed';

export interface LocalModelDto {
	/** The router's id for it: the file name without `.gguf`. */
	name: string;
	/** Present when the file is in the shared folder (then it can be deleted). */
	sizeBytes: number | null;
	quantisation: string | null;
	contextLength: number | null;
	/** null when the router does not list it (not re-read yet, or not a router). */
	state: LocalModelStateDto | null;
	isDefault: boolean;
	inFolder: boolean;
}

export interface ModelDownloadDto {
	id: number;
	state: ModelDownloadStateDto;
	repo: string;
	file: string;
	bytes: number;
	total: number | null;
	error: string | null;
	createdAt: number;
	updatedAt: number;
}

export interface ModelPresetDto {
	id: string;
	name: string;
	repo: string;
	file: string;
	/** The file's size, rounded (the hub's own figure is checked at download). */
	sizeBytes: number;
	/** Roughly what a Raspberry Pi 5 (8 GB, 4 threads) generates, from public reports. */
	tokensPerSecondPi5: number;
	licence: string;
}

export interface LocalModelsDto {
	/** llama.cpp answers, and in router mode (it can list, load and unload models). */
	reachable: boolean;
	router: boolean;
	/** Hearth can write the models folder: downloads and deletes are possible. */
	folderWritable: boolean;
	/**
	 * The router serves this same folder, as far as Hearth can tell (false: its models live in
	 * another folder, e.g. llama-server on another machine, so a download would not reach it).
	 */
	folderShared: boolean;
	models: LocalModelDto[];
	downloads: ModelDownloadDto[];
	presets: ModelPresetDto[];
	/** `provider/model` for new chats, when the admin chose one. */
	defaultModel: string | null;
}

const GB = 1_000_000_000;

/** Small instruct models in Q4_K_M that fit a Pi 5; sizes as the hub lists them. */
export const MODEL_PRESETS: readonly ModelPresetDto[] = [
	{
		id: 'qwen2.5-0.5b',
		name: 'Qwen2.5 0.5B Instruct',
		repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF',
		file: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
		sizeBytes: 0.49 * GB,
		tokensPerSecondPi5: 20,
		licence: 'Apache-2.0'
	},
	{
		id: 'llama3.2-1b',
		name: 'Llama 3.2 1B Instruct',
		repo: 'bartowski/Llama-3.2-1B-Instruct-GGUF',
		file: 'Llama-3.2-1B-Instruct-Q4_K_M.gguf',
		sizeBytes: 0.81 * GB,
		tokensPerSecondPi5: 12,
		licence: 'Llama 3.2 Community License'
	},
	{
		id: 'qwen2.5-1.5b',
		name: 'Qwen2.5 1.5B Instruct',
		repo: 'Qwen/Qwen2.5-1.5B-Instruct-GGUF',
		file: 'qwen2.5-1.5b-instruct-q4_k_m.gguf',
		sizeBytes: 1.12 * GB,
		tokensPerSecondPi5: 8,
		licence: 'Apache-2.0'
	},
	{
		id: 'qwen3-1.7b',
		name: 'Qwen3 1.7B (thinks first)',
		repo: 'unsloth/Qwen3-1.7B-GGUF',
		file: 'Qwen3-1.7B-Q4_K_M.gguf',
		sizeBytes: 1.11 * GB,
		tokensPerSecondPi5: 7,
		licence: 'Apache-2.0'
	},
	{
		id: 'gemma2-2b',
		name: 'Gemma 2 2B Instruct',
		repo: 'bartowski/gemma-2-2b-it-GGUF',
		file: 'gemma-2-2b-it-Q4_K_M.gguf',
		sizeBytes: 1.71 * GB,
		tokensPerSecondPi5: 5,
		licence: 'Gemma Terms of Use'
	},
	{
		id: 'llama3.2-3b',
		name: 'Llama 3.2 3B Instruct',
		repo: 'bartowski/Llama-3.2-3B-Instruct-GGUF',
		file: 'Llama-3.2-3B-Instruct-Q4_K_M.gguf',
		sizeBytes: 2.02 * GB,
		tokensPerSecondPi5: 4,
		licence: 'Llama 3.2 Community License'
	}
];

/** What the first-run card offers: about 1 GB, good answers, runs on any Pi 5. */
export const FIRST_RUN_PRESET = 'qwen2.5-1.5b';

const NAME_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A model's name in the folder: one path segment, no `..`, no leading dot. */
export function isModelName(name: string): boolean {
	return NAME_PART.test(name) && !name.includes('..');
}

/** A GGUF file name at the top of a repository (sub-folders and split files are not offered). */
export function isGgufFileName(file: string): boolean {
	return /\.gguf$/i.test(file) && isModelName(file);
}

/** `owner/name` on the hub. */
export function isHubRepo(repo: string): boolean {
	const parts = repo.split('/');
	return parts.length === 2 && parts.every(isModelName);
}

/** The router's id for a file in the folder. */
export const modelNameOf = (file: string) => file.replace(/\.gguf$/i, '');

/** Bytes as people read them (decimal units, like the hub and phones show sizes). */
export function formatBytes(bytes: number): string {
	if (bytes < 1000) return `${bytes} B`;
	const units = ['kB', 'MB', 'GB', 'TB'];
	let value = bytes;
	let unit = -1;
	while (value >= 1000 && unit < units.length - 1) {
		value /= 1000;
		unit++;
	}
	return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
	if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
	if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
	return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
